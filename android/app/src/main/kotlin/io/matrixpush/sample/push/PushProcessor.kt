package io.matrixpush.sample.push

import android.os.Build
import android.util.Log
import io.matrixpush.sample.R
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.NotificationMapper
import io.matrixpush.sample.logic.PushHandler
import io.matrixpush.sample.logic.PushInput
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull

/**
 * Resolves a push off the transport's thread: FcmService.onMessageReceived and
 * UnifiedPushService.onMessage hand the push here and return at once (never blocking FCM's
 * thread, or the main thread the connector calls on). The push is resolved in the process's
 * scope within [deadlineMs] — the library's handlePush returns a generic fallback at its deadline
 * — and a last guard [GRACE_MS] later shows the generic notification anyway: never silence.
 */
class PushProcessor(private val app: SampleApp) {
    private val notifier = Notifier(app)

    fun process(input: PushInput) {
        val deadline = deadlineMs()
        val handler = PushHandler(
            accounts = app.accounts::pushAccounts,
            mapper = NotificationMapper(appName = app.getString(R.string.app_name)),
            deadlineMs = deadline,
        )
        app.appScope.launch {
            val action = withTimeoutOrNull(deadline.toLong() + GRACE_MS) { handler.handle(input, notifier::linesOf) }
                ?: handler.onTimeout(input).also { Log.w(TAG, "not resolved in time: the generic notification") }
            notifier.apply(action)
        }
    }

    /**
     * A high-priority push lets the app run for a few seconds after the service returns (about
     * 10 s; less on old Android): resolve within that.
     */
    private fun deadlineMs(): ULong = if (Build.VERSION.SDK_INT >= 29) PushHandler.DEFAULT_DEADLINE_MS else 7_000uL

    private companion object {
        const val TAG = "PushProcessor"
        const val GRACE_MS = 1_000L
    }
}
