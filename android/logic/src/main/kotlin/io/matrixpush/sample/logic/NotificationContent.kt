package io.matrixpush.sample.logic

import io.matrixpush.core.FallbackNotification
import io.matrixpush.core.NotificationKind
import io.matrixpush.core.Outcome
import io.matrixpush.core.PushNotification

/**
 * The app's notification channels. Android lets the user change a channel's sound and importance
 * after it is created, so the app only picks the channel; [importance] is what it is created with.
 */
enum class Channel(val id: String, val title: String, val description: String, val importance: Importance) {
    /** Messages whose rule plays a sound (DMs, by the server-default rules). */
    NOISY("messages_noisy", "Messages", "Messages that play a sound", Importance.HIGH),

    /** Messages that notify without a sound (group rooms, by the server-default rules). */
    SILENT("messages_silent", "Silent messages", "Messages that notify without a sound", Importance.LOW),

    /** Highlights: mentions of you, @room and your keywords. */
    MENTIONS("mentions", "Mentions and keywords", "Mentions of you, @room and your keywords", Importance.HIGH),
}

/** Channel importance, mapped by the app to `NotificationManager.IMPORTANCE_*`. */
enum class Importance { HIGH, DEFAULT, LOW }

/** What the notification is about, mapped by the app to `NotificationCompat.CATEGORY_*`. */
enum class Category { MESSAGE, CALL, INVITE, OTHER }

/** One line of a conversation (a `NotificationCompat.MessagingStyle.Message`). */
data class MessageLine(
    /** Stable per sender (the Matrix user id): the `Person` key. Empty for generic lines. */
    val senderKey: String,
    val senderName: String,
    val text: String,
    val timestampMs: Long,
)

/**
 * A notification ready to post. Identity on Android is (tag, id):
 * - [tag] is the room (so a room's notifications can be found and cancelled together),
 * - [id] is the event (each event is its own notification, so a duplicate push replaces itself),
 * - [groupKey] groups a room's notifications under one summary, posted as ([tag], [SUMMARY_ID]),
 *   whose MessagingStyle shows the room's recent [lines].
 */
data class NotificationContent(
    val tag: String,
    val id: Int,
    val groupKey: String,
    val channel: Channel,
    val category: Category,
    /** The room's name, or the sender's for a DM. */
    val title: String,
    /** MessagingStyle conversation title: the room name for group rooms, null for DMs. */
    val conversationTitle: String?,
    val isGroupConversation: Boolean,
    /** This event's line. */
    val message: MessageLine,
    /** The room's recent lines, oldest first, ending with [message] (at most [MAX_LINES]). */
    val lines: List<MessageLine>,
    val roomId: String?,
    val eventId: String?,
    val threadId: String?,
    /** The badge count sent with the push, when there was one. */
    val unread: Long?,
    /** Built from the payload alone (the event could not be fetched in time). */
    val isFallback: Boolean,
) {
    companion object {
        /** The id of a room's group summary (event ids never map to it). */
        const val SUMMARY_ID = 0

        /** Lines kept in a room's summary. */
        const val MAX_LINES = 8

        /** The tag of notifications that have no room (a fallback for a push without room id). */
        const val NO_ROOM_TAG = "matrix-push:no-room"
    }
}

/** What the app does with the outcome of a push. */
sealed interface NotificationAction {
    /** Post (or replace) this notification and its room's summary. */
    data class Post(val content: NotificationContent) : NotificationAction

    /**
     * Remove every notification whose tag is in [tags] (one tag per room: the room's events and
     * its summary). [badge] is the new unread count when the push carried one.
     */
    data class Cancel(val tags: List<String>, val badge: Long?) : NotificationAction

    /** Nothing to show or remove (suppressed by the rules, a duplicate, a push for no known account). */
    data class Ignore(val reason: String) : NotificationAction
}

/**
 * Maps [Outcome]s to what the app shows: no Android classes, no I/O.
 *
 * @param appName the title of a generic notification that knows no room or sender name.
 */
class NotificationMapper(private val appName: String = "Matrix") {

    /**
     * @param previousLines the room's lines already on screen (read back from its summary
     *   notification by the app), oldest first; the new line is appended to them.
     */
    fun map(outcome: Outcome, previousLines: (roomId: String) -> List<MessageLine> = { emptyList() }): NotificationAction =
        when (outcome) {
            is Outcome.Show -> NotificationAction.Post(show(outcome.notification, previousLines(outcome.notification.roomId)))
            is Outcome.Fallback -> NotificationAction.Post(
                fallback(outcome.notification, outcome.notification.roomId?.let(previousLines).orEmpty()),
            )
            is Outcome.BadgeUpdate -> NotificationAction.Cancel(outcome.readRooms.map(::tagFor), outcome.unread.toLong())
            is Outcome.Dismiss -> NotificationAction.Cancel(outcome.roomIds.map(::tagFor), null)
            is Outcome.Suppressed -> NotificationAction.Ignore("suppressed: ${outcome.reason}")
            Outcome.Duplicate -> NotificationAction.Ignore("duplicate")
        }

    /** The channel a notification goes to: highlights first, then by sound. */
    fun channelFor(n: PushNotification): Channel = when {
        n.highlight -> Channel.MENTIONS
        n.isNoisy -> Channel.NOISY
        else -> Channel.SILENT
    }

    fun show(n: PushNotification, previousLines: List<MessageLine> = emptyList()): NotificationContent {
        val line = MessageLine(n.senderId, n.senderName, n.body, n.timestampMs.toLong())
        return NotificationContent(
            tag = tagFor(n.roomId),
            id = idFor(n.eventId),
            groupKey = groupKeyFor(n.roomId),
            channel = channelFor(n),
            category = when (n.kind) {
                is NotificationKind.Call -> Category.CALL
                is NotificationKind.Invite -> Category.INVITE
                is NotificationKind.Message, NotificationKind.Encrypted -> Category.MESSAGE
                is NotificationKind.Other -> Category.OTHER
            },
            title = if (n.isDm) n.senderName else n.roomName,
            conversationTitle = if (n.isDm) null else n.roomName,
            isGroupConversation = !n.isDm,
            message = line,
            lines = appendLine(previousLines, line),
            roomId = n.roomId,
            eventId = n.eventId,
            threadId = n.threadId,
            unread = n.unread?.toLong(),
            isFallback = false,
        )
    }

    /**
     * The generic notification: never silent (the server thought it worth a push, and the rules
     * could not be checked), titled with what the payload named, else the app's name.
     */
    fun fallback(f: FallbackNotification, previousLines: List<MessageLine> = emptyList()): NotificationContent {
        val title = f.title?.takeIf { it.isNotBlank() } ?: appName
        val line = MessageLine("", title, f.body, System.currentTimeMillis())
        val roomId = f.roomId
        return NotificationContent(
            tag = roomId?.let(::tagFor) ?: NotificationContent.NO_ROOM_TAG,
            id = f.eventId?.let(::idFor) ?: idFor("fallback:${f.unread}:${f.body}"),
            groupKey = roomId?.let(::groupKeyFor) ?: NotificationContent.NO_ROOM_TAG,
            channel = Channel.NOISY,
            category = Category.MESSAGE,
            title = title,
            conversationTitle = null,
            isGroupConversation = false,
            message = line,
            lines = appendLine(previousLines, line),
            roomId = roomId,
            eventId = f.eventId,
            threadId = null,
            unread = f.unread?.toLong(),
            isFallback = true,
        )
    }

    companion object {
        /** One tag per room. */
        fun tagFor(roomId: String): String = roomId

        /** One group per room. */
        fun groupKeyFor(roomId: String): String = "room:$roomId"

        /** One id per event; never [NotificationContent.SUMMARY_ID]. */
        fun idFor(eventId: String): Int {
            val id = eventId.hashCode() and Int.MAX_VALUE
            return if (id == NotificationContent.SUMMARY_ID) 1 else id
        }

        /** Appends [line] unless it is already there (a replaced notification), keeping the last [NotificationContent.MAX_LINES]. */
        fun appendLine(previous: List<MessageLine>, line: MessageLine): List<MessageLine> =
            (previous.filterNot { it == line } + line).takeLast(NotificationContent.MAX_LINES)
    }
}
