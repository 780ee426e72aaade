package io.matrixpush.sample

import android.content.Context
import android.os.Build
import android.util.Log
import com.google.firebase.messaging.FirebaseMessaging
import io.matrixpush.Client
import io.matrixpush.MatrixPushException
import io.matrixpush.SessionInfo
import io.matrixpush.restoreClient
import io.matrixpush.sample.logic.AccountRoute
import io.matrixpush.sample.logic.KeyValueStore
import io.matrixpush.sample.logic.PushAccount
import io.matrixpush.sample.logic.PushConfig
import io.matrixpush.sample.logic.PushRegistration
import io.matrixpush.sample.logic.PushSetup
import io.matrixpush.sample.logic.SignIn
import io.matrixpush.sample.logic.SignInResult
import kotlinx.coroutines.tasks.await
import java.io.File

/** The signed-in account: its client (kept for the process's lifetime) and its push setup. */
class Account(val client: Client, val session: SessionInfo, val pushSetup: PushSetup)

/**
 * The app's account: one here (slot [SLOT]); an app with several gives each its own slot — store
 * folder, session store and routing secret — and passes them all to `PushHandler` (see
 * docs/android.md, "Several accounts").
 */
class Accounts(private val context: Context) {
    val store: KeyValueStore = PrefsKeyValueStore(context, "matrix-push-sample")
    private val pushConfig = PushConfig(gatewayUrl = BuildConfig.PUSH_GATEWAY_URL, deviceDisplayName = Build.MODEL)

    /** The signed-in account, or null. Read by the FCM service's thread too. */
    @Volatile
    var current: Account? = null
        private set

    val signIn = SignIn(newClient = ::newClient)

    private val storeDir: String get() = File(context.filesDir, "matrix-push/$SLOT").path

    /** The client for a homeserver: its state in the app's files, its session in the Keystore. */
    private fun newClient(homeserverUrl: String): Client = Client(
        homeserverUrl,
        storeDir,
        KeystoreSessionStore(context, SLOT),
        pushConfig.deviceDisplayName,
        null,   // no EventDecryptor: encrypted events show as "Encrypted message"
    )

    /** Restores the saved session (its homeserver comes with it); makes no request. */
    @Synchronized
    fun restore(): Account? {
        current?.let { return it }
        val client = try {
            restoreClient(storeDir, KeystoreSessionStore(context, SLOT), pushConfig.deviceDisplayName, null)
        } catch (e: MatrixPushException) {
            Log.w(TAG, "cannot restore the session", e)
            null
        } ?: return null
        val session = client.session() ?: run {
            client.close()
            return null
        }
        return Account(client, session, PushSetup(client, store, pushConfig)).also { current = it }
    }

    suspend fun onSignedIn(result: SignInResult.SignedIn) {
        synchronized(this) {
            current?.client?.close()
            current = Account(result.client, result.session, PushSetup(result.client, store, pushConfig))
        }
        checkPusher()
    }

    /** Every start and after sign-in: ensure (or rotate) the pusher, refresh the push rules. */
    suspend fun checkPusher(): PushRegistration? {
        val account = current ?: return null
        val registration = try {
            account.pushSetup.onAppStart(fcmToken()).also { logRegistration(it) }
        } catch (e: MatrixPushException) {
            onFailure(account, e, "checking the pusher")
            null
        }
        try {
            // The push path evaluates the rules saved here; refresh them while the app runs.
            account.client.fetchPushRules()
        } catch (e: MatrixPushException) {
            onFailure(account, e, "fetching the push rules")
        }
        return registration
    }

    /** From FirebaseMessagingService.onNewToken. */
    suspend fun onNewToken(token: String) {
        val account = current
        if (account == null) {
            store.put(PushSetup.KEY_FCM_TOKEN, token)   // registered at the next sign-in
            return
        }
        try {
            logRegistration(account.pushSetup.onNewToken(token))
        } catch (e: MatrixPushException) {
            // The next start redoes the rotation (PushSetup remembers the registered token).
            onFailure(account, e, "rotating the pusher")
        }
    }

    suspend fun signOut() {
        val account = current ?: return
        try {
            account.pushSetup.onSignOut()
        } catch (e: MatrixPushException) {
            Log.w(TAG, "removing the pusher failed", e)
        }
        try {
            account.client.logout()
        } catch (e: MatrixPushException) {
            Log.w(TAG, "logout failed; forgetting the session here anyway", e)
            KeystoreSessionStore(context, SLOT).clear()
        }
        forget(account)
    }

    /** The accounts the FCM service routes pushes to. */
    fun pushAccounts(): List<PushAccount> = listOfNotNull(
        current?.let { PushAccount(it.client, AccountRoute(it.session.userId, it.pushSetup.routingSecret())) },
    )

    private suspend fun fcmToken(): String? = try {
        FirebaseMessaging.getInstance().token.await()
    } catch (e: Exception) {
        // With the placeholder app/google-services.json there is no token (see docs/android.md).
        Log.w(TAG, "no FCM token", e)
        null
    }

    /** The token only in debug builds (it is what `curl` to the gateway needs, see docs/android.md). */
    private fun logRegistration(registration: PushRegistration) {
        if (BuildConfig.DEBUG) Log.d(TAG, "pusher: $registration") else Log.i(TAG, "pusher: ${registration::class.simpleName}")
    }

    private fun onFailure(account: Account, e: MatrixPushException, what: String) {
        when (e) {
            is MatrixPushException.LoggedOut, is MatrixPushException.SoftLoggedOut -> {
                Log.w(TAG, "$what: the server ended the session; sign in again")
                forget(account)
            }
            else -> Log.w(TAG, "$what failed", e)
        }
    }

    @Synchronized
    private fun forget(account: Account) {
        if (current === account) {
            current = null
            account.client.close()
        }
    }

    companion object {
        const val SLOT = "default"
        private const val TAG = "Accounts"
    }
}
