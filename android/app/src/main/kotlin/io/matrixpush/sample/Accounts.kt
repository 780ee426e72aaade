package io.matrixpush.sample

import android.content.Context
import android.os.Build
import android.util.Log
import io.matrixpush.Client
import io.matrixpush.MatrixPushException
import io.matrixpush.SessionInfo
import io.matrixpush.restoreClient
import io.matrixpush.sample.logic.AccountRoute
import io.matrixpush.sample.logic.KeyValueStore
import io.matrixpush.sample.logic.PushAccount
import io.matrixpush.sample.logic.PushAddress
import io.matrixpush.sample.logic.PushConfig
import io.matrixpush.sample.logic.PushKind
import io.matrixpush.sample.logic.PushRegistration
import io.matrixpush.sample.logic.PushSetup
import io.matrixpush.sample.logic.SignIn
import io.matrixpush.sample.logic.SignInResult
import io.matrixpush.sample.push.Notifier
import java.io.File

/** The signed-in account: its client (kept for the process's lifetime) and its push setup. */
class Account(val client: Client, val session: SessionInfo, val pushSetup: PushSetup)

/**
 * The app's account: one here (slot [SLOT]); an app with several gives each its own slot — store
 * folder, session store and routing secret — and returns them all from [pushAccounts] (see
 * docs/android.md, "Several accounts"). Nothing here runs on a push's cold start but [restore],
 * which makes no request: the pusher and the rules are checked by PusherWorker.
 */
class Accounts(private val context: Context) {
    val store: KeyValueStore = PrefsKeyValueStore(context, AppStorage.PUSH_PREFS)
    private val pushConfig = PushConfig(fcmGatewayUrl = BuildConfig.PUSH_GATEWAY_URL, deviceDisplayName = Build.MODEL)
    private val notifier = Notifier(context)

    /** The signed-in account, or null. Read by the push services' threads too. */
    @Volatile
    var current: Account? = null
        private set

    val signIn = SignIn(newClient = ::newClient)

    private val storeDir: String get() = File(context.filesDir, "${AppStorage.FFI_STORE_DIR}/$SLOT").path

    /**
     * The client for a homeserver: its state in the app's files, its session in the Keystore.
     * No EventDecryptor: the library's own encryption decrypts (see [ENCRYPTION]).
     */
    private fun newClient(homeserverUrl: String): Client = Client(
        homeserverUrl,
        storeDir,
        KeystoreSessionStore(context, SLOT),
        pushConfig.deviceDisplayName,
        null,
        encryption = ENCRYPTION,
    )

    /** Restores the saved session (its homeserver comes with it); makes no request. */
    @Synchronized
    fun restore(): Account? {
        current?.let { return it }
        val client = try {
            restoreClient(storeDir, KeystoreSessionStore(context, SLOT), pushConfig.deviceDisplayName, null, encryption = ENCRYPTION)
        } catch (e: MatrixPushException) {
            Log.w(TAG, "cannot restore the session", e)
            null
        } ?: return null
        val session = client.session() ?: run {
            client.close()
            return null
        }
        notifier.createChannels(session.userId)
        return Account(client, session, PushSetup(client, store, pushConfig)).also { current = it }
    }

    fun onSignedIn(result: SignInResult.SignedIn) {
        synchronized(this) {
            current?.client?.close()
            current = Account(result.client, result.session, PushSetup(result.client, store, pushConfig))
        }
        notifier.createChannels(result.session.userId)
    }

    /** The push provider handed out [address]: kept at once (the process may die); PusherWorker registers it. */
    fun rememberAddress(address: PushAddress) = PushSetup.saveAddress(store, address)

    /** The device's address, as remembered. */
    fun address(): PushAddress? = PushSetup.loadAddress(store)

    /** PusherWorker: ensure (or move) the pusher, then refresh the push rules the push path evaluates with. */
    suspend fun syncPusher(): PushRegistration? {
        val account = current ?: return null
        val registration = account.pushSetup.sync().also(::logRegistration)
        // What `curl` to the gateway needs (docs/android.md, "Check that it works"); never in release.
        if (BuildConfig.DEBUG) Log.d(TAG, "pushkey (debug builds only): ${address()?.pushkey}")
        account.client.fetchPushRules()
        return registration
    }

    /** The provider took the address back (FID or UnifiedPush unregistered). */
    suspend fun onAddressRemoved(kind: PushKind, pushkey: String) {
        val account = current
        if (account == null) {
            // Signed out: only forget the address.
            if (address()?.let { it.kind == kind && it.pushkey == pushkey } == true) store.put(PushSetup.KEY_ADDRESS, null)
            return
        }
        try {
            account.pushSetup.onAddressRemoved(kind, pushkey)
        } catch (e: MatrixPushException) {
            onFailure(account, e, "removing the pusher")
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
        notifier.forgetAccount(account.session.userId)
        forget(account)
    }

    /** The accounts the push services route pushes to. */
    fun pushAccounts(): List<PushAccount> = listOfNotNull(
        current?.let { PushAccount(it.client, AccountRoute(it.session.userId, it.pushSetup.routingSecret())) },
    )

    /** The account with this user id, for a notification's button. */
    fun byId(userId: String): Account? = current?.takeIf { it.session.userId == userId }

    /** The outcome; its pushkeys are shortened (PushRegistration's toString). */
    private fun logRegistration(registration: PushRegistration) {
        Log.i(TAG, "pusher: $registration")
    }

    /** A session the server ended is forgotten; other failures are the caller's to retry. */
    fun onFailure(account: Account, e: MatrixPushException, what: String) {
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

        /**
         * The library's built-in end-to-end encryption: this device is a full E2EE device whose
         * keys live in the store folder, so the push path (FCM, UnifiedPush: the same [restore]d
         * client, in the same process) decrypts encrypted pushes. Settings › Recover verifies it.
         * Used at sign-in and at every restore alike, so the device is the same E2EE device.
         */
        const val ENCRYPTION = true
        private const val TAG = "Accounts"
    }
}
