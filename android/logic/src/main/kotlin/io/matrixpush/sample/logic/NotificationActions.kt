package io.matrixpush.sample.logic

import io.matrixpush.ClientInterface
import io.matrixpush.MatrixPushException
import io.matrixpush.core.ReceiptVisibility
import java.net.URI
import java.net.URLDecoder
import java.net.URLEncoder

/** A notification's buttons. */
enum class ActionKind(val label: String, val pastTense: String) {
    MARK_READ("Mark as read", "Marked as read"),
    ACCEPT("Accept", "Joined"),
    DECLINE("Decline", "Declined"),
}

/**
 * One button of one conversation: what the app's PendingIntent carries. As a URI ([toUri]) it is
 * the intent's data, which makes each PendingIntent unique per account, room and action (Android
 * tells PendingIntents apart by their intent's data, not by extras).
 */
data class ActionRequest(val kind: ActionKind, val accountId: String, val roomId: String, val eventId: String?) {
    fun toUri(): String = buildString {
        append("$SCHEME://action/${kind.name.lowercase()}?account=${enc(accountId)}&room=${enc(roomId)}")
        eventId?.let { append("&event=${enc(it)}") }
    }

    companion object {
        const val SCHEME = "matrixpush"

        /** The request back from [toUri]'s form; null for anything else. */
        fun fromUri(text: String?): ActionRequest? {
            val uri = text?.let { runCatching { URI(it) }.getOrNull() } ?: return null
            if (uri.scheme != SCHEME || uri.host != "action") return null
            val kind = ActionKind.entries.firstOrNull { it.name.lowercase() == uri.path.trim('/') } ?: return null
            val query = uri.rawQuery.orEmpty().split('&').mapNotNull { part ->
                part.split('=', limit = 2).takeIf { it.size == 2 }?.let { (k, v) -> k to URLDecoder.decode(v, Charsets.UTF_8) }
            }.toMap()
            val account = query["account"] ?: return null
            val room = query["room"] ?: return null
            val event = query["event"]
            if (kind == ActionKind.MARK_READ && event == null) return null
            return ActionRequest(kind, account, room, event)
        }

        private fun enc(s: String) = URLEncoder.encode(s, Charsets.UTF_8)
    }
}

/** How an action went. */
sealed interface ActionResult {
    data object Done : ActionResult

    /** [message] is for the user (shown on the notification). */
    data class Failed(val message: String) : ActionResult
}

/**
 * Runs a notification's button against the homeserver: "Mark as read" sends a read receipt and
 * the fully-read marker (`markRead`), so the room's unread count drops on every device — a public
 * receipt (`m.read`), or with [privateReceipt] a private one (`m.read.private`) that only the
 * user's own devices see ([ReadReceiptSetting], the settings screen's switch); "Accept" joins,
 * "Decline" leaves. Never throws: a failure is a sentence for the notification.
 */
class ActionRunner(private val client: ClientInterface, private val privateReceipt: Boolean = false) {
    suspend fun run(request: ActionRequest): ActionResult = try {
        when (request.kind) {
            ActionKind.MARK_READ -> client.markRead(
                request.roomId,
                request.eventId ?: return ActionResult.Failed("Nothing to mark as read."),
                if (privateReceipt) ReceiptVisibility.PRIVATE else ReceiptVisibility.PUBLIC,
            )
            ActionKind.ACCEPT -> client.acceptInvite(request.roomId)
            ActionKind.DECLINE -> client.declineInvite(request.roomId)
        }
        ActionResult.Done
    } catch (e: MatrixPushException) {
        ActionResult.Failed("${request.kind.label} failed: ${userMessage(e)}")
    }
}

/**
 * The user's choice of read receipt for "Mark as read", kept in the app's settings (on Android the
 * backed-up `settings` SharedPreferences): public (`m.read`, the default, as Matrix clients send
 * them: the room's members see how far the user has read) or private (`m.read.private`: only the
 * user's own devices see it). Either way the fully-read marker moves and the unread count drops.
 */
class ReadReceiptSetting(private val store: KeyValueStore) {
    var privateReceipts: Boolean
        get() = store.get(KEY) == "true"
        set(value) = store.put(KEY, if (value) "true" else null)

    companion object {
        const val KEY = "private_read_receipts"
    }
}
