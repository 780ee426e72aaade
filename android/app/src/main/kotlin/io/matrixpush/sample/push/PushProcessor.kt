package io.matrixpush.sample.push

import android.util.Log
import io.matrixpush.sample.R
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.NotificationMapper
import io.matrixpush.sample.logic.PushHandler
import io.matrixpush.sample.logic.PushInput
import kotlinx.coroutines.withTimeoutOrNull

/**
 * Resolves a push into what to post or cancel, and applies it. Runs in PushWorker (expedited
 * WorkManager work), never on the transport's thread: FcmService.onMessageReceived and
 * UnifiedPushService.onMessage only queue the push and return. The library's handlePush returns a
 * generic fallback at its deadline ([PushHandler.DEFAULT_DEADLINE_MS]), and a last guard
 * [GRACE_MS] later shows the generic notification anyway: never silence.
 */
class PushProcessor(private val app: SampleApp) {
    private val notifier = Notifier(app)
    private val handler = PushHandler(
        accounts = app.accounts::pushAccounts,
        mapper = NotificationMapper(appName = app.getString(R.string.app_name)),
        // The user is waiting for this notification: a worker may run far longer, but a message
        // later than this is worse than the generic notification now.
        deadlineMs = PushHandler.DEFAULT_DEADLINE_MS,
    )

    suspend fun resolve(input: PushInput) {
        val action = withTimeoutOrNull(PushHandler.DEFAULT_DEADLINE_MS.toLong() + GRACE_MS) { handler.handle(input, notifier::linesOf) }
            ?: handler.onTimeout(input).also { Log.w(TAG, "not resolved in time: the generic notification") }
        notifier.apply(action)
    }

    /**
     * The generic notification for [input] at once, without the network (the library's
     * fallback for the push): for a push that could not be handed to WorkManager.
     */
    fun showGeneric(input: PushInput) {
        notifier.apply(handler.onTimeout(input))
    }

    private companion object {
        const val TAG = "PushProcessor"
        const val GRACE_MS = 1_000L
    }
}
