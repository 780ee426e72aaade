package io.matrixpush.sample.push

import android.os.Build
import android.util.Log
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage
import io.matrixpush.sample.BuildConfig
import io.matrixpush.sample.R
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.NotificationMapper
import io.matrixpush.sample.logic.PushHandler
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.json.JSONObject

/**
 * FCM entry points. Both run on a background thread that FCM gives for a limited time, and the
 * process may be frozen as soon as they return: so they block (runBlocking) until the work is
 * done, within a deadline.
 */
class PushService : FirebaseMessagingService() {
    private val accounts get() = (application as SampleApp).accounts

    override fun onNewToken(token: String) {
        runBlocking {
            withTimeoutOrNull(TOKEN_LIMIT_MS) { accounts.onNewToken(token) }
                ?: Log.w(TAG, "the pusher rotation did not finish in time; the next start redoes it")
        }
    }

    /**
     * A data message (the pusher's `event_id_only` payload from Sygnal): decode it, let the library
     * resolve it within [deadlineMs] (it returns a generic fallback past that, never nothing), and
     * post or cancel notifications. Should it not have answered [GRACE_MS] after its deadline, a
     * last guard shows the generic notification.
     */
    override fun onMessageReceived(message: RemoteMessage) {
        if (BuildConfig.DEBUG) {
            // For `matrix-push decode --provider fcm` (docs/android.md, "Check that it works").
            Log.d(TAG, "push data: ${JSONObject(message.data)}")
        }
        val notifier = Notifier(this)
        val deadline = deadlineMs()
        val handler = PushHandler(
            accounts = accounts::pushAccounts,
            mapper = NotificationMapper(appName = getString(R.string.app_name)),
            deadlineMs = deadline,
        )
        val action = runBlocking {
            withTimeoutOrNull(deadline.toLong() + GRACE_MS) { handler.handleFcm(message.data, notifier::linesOf) }
        } ?: handler.onTimeout(message.data)
        notifier.apply(action)
    }

    /** FCM's window for the handler is short: about 20 s on recent Android, 10 s up to Android 9. */
    private fun deadlineMs(): ULong = if (Build.VERSION.SDK_INT >= 29) PushHandler.DEFAULT_DEADLINE_MS else 7_000uL

    private companion object {
        const val TAG = "PushService"
        const val GRACE_MS = 2_000L
        const val TOKEN_LIMIT_MS = 15_000L
    }
}
