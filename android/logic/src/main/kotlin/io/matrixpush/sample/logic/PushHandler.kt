package io.matrixpush.sample.logic

import io.matrixpush.ClientInterface
import io.matrixpush.MatrixPushException
import io.matrixpush.core.Outcome
import io.matrixpush.decodeFcm
import io.matrixpush.fallbackNotification

/** A signed-in account that can receive pushes. */
class PushAccount(val client: ClientInterface, val route: AccountRoute)

/**
 * The whole push path short of Android's NotificationManager: FCM data map in, what to post or
 * cancel out. `FirebaseMessagingService.onMessageReceived` calls [handleFcm] and applies the result.
 *
 * @param deadlineMs what `handlePush` may spend; past it the outcome is a generic fallback. FCM
 *   gives a data message's handler about 10–20 s, so keep it well under that.
 */
class PushHandler(
    private val accounts: () -> List<PushAccount>,
    private val mapper: NotificationMapper = NotificationMapper(),
    private val deadlineMs: ULong = DEFAULT_DEADLINE_MS,
) {
    /** [data] is `RemoteMessage.getData()`; [previousLines] reads a room's lines back from its summary notification. */
    suspend fun handleFcm(
        data: Map<String, String>,
        previousLines: (roomId: String) -> List<MessageLine> = { emptyList() },
    ): NotificationAction {
        val payload = try {
            decodeFcm(data)
        } catch (e: MatrixPushException) {
            return NotificationAction.Ignore("unusable push: ${e.message}")
        }
        val all = accounts()
        val route = PushRouting.route(payload, all.map { it.route })
            ?: return NotificationAction.Ignore("the push is for no signed-in account")
        val account = all.first { it.route == route }
        val outcome: Outcome = account.client.handlePush(payload, deadlineMs)
        return mapper.map(outcome, previousLines)
    }

    /**
     * What to show when [handleFcm] did not finish in the time the app allows (it should not
     * happen: `handlePush` returns a fallback at its deadline): the generic notification for an
     * event push, nothing for a badge push or an unusable one. Needs no network.
     */
    fun onTimeout(data: Map<String, String>): NotificationAction {
        val payload = try {
            decodeFcm(data)
        } catch (e: MatrixPushException) {
            return NotificationAction.Ignore("unusable push: ${e.message}")
        }
        // The library's own generic notification (reply fallbacks stripped, encrypted said so).
        val generic = fallbackNotification(payload, "not handled in time")
            ?: return NotificationAction.Ignore("badge push not handled in time")
        return NotificationAction.Post(mapper.fallback(generic))
    }

    companion object {
        const val DEFAULT_DEADLINE_MS: ULong = 10_000uL
    }
}
