package io.matrixpush.sample.logic

import io.matrixpush.core.FallbackNotification
import io.matrixpush.core.NotificationKind
import io.matrixpush.core.Outcome
import io.matrixpush.core.PushNotification
import io.matrixpush.core.Thumbnail

/**
 * The app's notification channels. Each account has its own set, in a channel group named after
 * the account ([idFor], [groupIdFor]), so a user can silence one account and not the other.
 * Android lets the user change a channel's sound and importance after it is created, so the app
 * only picks the channel; [importance] is what it is created with.
 */
enum class Channel(val key: String, val title: String, val description: String, val importance: Importance) {
    /** Messages whose rule plays a sound (DMs, by the server-default rules). */
    NOISY("messages_noisy", "Messages", "Messages that play a sound", Importance.HIGH),

    /** Messages that notify without a sound (group rooms, by the server-default rules). */
    SILENT("messages_silent", "Silent messages", "Messages that notify without a sound", Importance.LOW),

    /** Highlights: mentions of you, @room and your keywords. */
    MENTIONS("mentions", "Mentions and keywords", "Mentions of you, @room and your keywords", Importance.HIGH);

    /** This channel's id for [account]. */
    fun idFor(account: String): String = "$key:$account"

    companion object {
        /** The id of [account]'s channel group (its name is the account's user id). */
        fun groupIdFor(account: String): String = "account:$account"
    }
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
    /** The sender's avatar (`mxc://…`) for the `Person` icon; null when none or read back. */
    val senderAvatarUrl: String? = null,
)

/**
 * One conversation's notification, ready to post: one per room and account, replaced as messages
 * arrive (its [lines] are the room's recent ones, read back from the posted notification so they
 * survive process death). Identity on Android is (tag, id): [tag] names the account and room,
 * [id] is [CONVERSATION_ID]. Every conversation of an account is in the account's group
 * ([groupKey]), under a summary posted as ([summaryTagFor], [SUMMARY_ID]).
 */
data class NotificationContent(
    val accountId: String,
    /** Null only for a generic notification of a push that named no room. */
    val roomId: String?,
    val tag: String,
    val id: Int,
    val groupKey: String,
    /** The conversation's long-lived shortcut (and locus id): what puts it under Conversations. */
    val shortcutId: String?,
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
    val eventId: String?,
    val threadId: String?,
    /** The badge count sent with the push, when there was one. */
    val unread: Long?,
    /** Built from the payload alone (the event could not be fetched in time). */
    val isFallback: Boolean,
    /** The buttons the notification offers. */
    val actions: List<ActionKind>,
    /** The conversation's icon (`mxc://…`): the other person's avatar in a DM, the room's avatar in a room (null when it has none). */
    val iconAvatarUrl: String?,
    /**
     * A short line under the message (the notification's sub-text): for an "Encrypted message",
     * what would make it readable ([undecryptableHint]); null for none.
     */
    val hint: String? = null,
) {
    /** The avatars this notification can show, conversation icon first. */
    val avatarUrls: List<String> get() = (listOfNotNull(iconAvatarUrl) + lines.mapNotNull { it.senderAvatarUrl }).distinct()

    companion object {
        /** The id of every conversation notification (the tag tells them apart). */
        const val CONVERSATION_ID = 1

        /** The id of an account's group summary. */
        const val SUMMARY_ID = 0

        /** Lines kept in a conversation. */
        const val MAX_LINES = 8
    }
}

/** What the app does with the outcome of a push. */
sealed interface NotificationAction {
    /**
     * Post (or replace) this conversation's notification and its account's summary. [avatars]
     * holds the thumbnails fetched in time, by `mxc://` URL (those missing are shown without).
     */
    data class Post(val content: NotificationContent, val avatars: Map<String, Thumbnail> = emptyMap()) : NotificationAction

    /**
     * Remove the conversations whose tag is in [tags] (read elsewhere). [badge] is the new unread
     * count when the push carried one.
     */
    data class Cancel(val accountId: String, val tags: List<String>, val badge: Long?) : NotificationAction

    /** Nothing to show or remove (suppressed by the rules, a duplicate, a push for no known account). */
    data class Ignore(val reason: String) : NotificationAction
}

/**
 * Maps [Outcome]s to what the app shows, for one account: no Android classes, no I/O.
 *
 * @param appName the title of a generic notification that knows no room or sender name.
 */
class NotificationMapper(private val appName: String = "Matrix") {

    /**
     * @param previousLines the room's lines already on screen (read back from its notification
     *   by the app), oldest first; the new line is appended to them.
     */
    fun map(
        account: String,
        outcome: Outcome,
        previousLines: (roomId: String) -> List<MessageLine> = { emptyList() },
    ): NotificationAction = when (outcome) {
        // Exhaustive on purpose, though Outcome may grow: the generated Kotlin is compiled into
        // the app with the library, so a new outcome cannot reach this at run time unseen; it
        // stops the build at the library update, where someone decides how it shows. An `else`
        // would have to guess between a lost push and a notification that misreads the outcome.
        is Outcome.Show -> NotificationAction.Post(
            show(account, outcome.notification, previousLines(outcome.notification.roomId)),
        )
        is Outcome.Fallback -> NotificationAction.Post(
            fallback(account, outcome.notification, outcome.notification.roomId?.let(previousLines).orEmpty()),
        )
        is Outcome.BadgeUpdate -> NotificationAction.Cancel(
            account, outcome.readRooms.map { conversationTagFor(account, it) }, outcome.unread.toLong(),
        )
        is Outcome.Dismiss -> NotificationAction.Cancel(account, outcome.roomIds.map { conversationTagFor(account, it) }, null)
        is Outcome.Suppressed -> NotificationAction.Ignore("suppressed: ${outcome.reason}")
        Outcome.Duplicate -> NotificationAction.Ignore("duplicate")
    }

    /** The channel a notification goes to: highlights first, then by sound. */
    fun channelFor(n: PushNotification): Channel = when {
        n.highlight -> Channel.MENTIONS
        n.isNoisy -> Channel.NOISY
        else -> Channel.SILENT
    }

    fun show(account: String, n: PushNotification, previousLines: List<MessageLine> = emptyList()): NotificationContent {
        val line = MessageLine(n.senderId, n.senderName, n.body, n.timestampMs.toLong(), n.senderAvatarUrl)
        val isInvite = n.kind is NotificationKind.Invite
        return NotificationContent(
            accountId = account,
            roomId = n.roomId,
            tag = conversationTagFor(account, n.roomId),
            id = NotificationContent.CONVERSATION_ID,
            groupKey = groupKeyFor(account),
            shortcutId = shortcutIdFor(account, n.roomId),
            channel = channelFor(n),
            category = when (n.kind) {
                is NotificationKind.Call -> Category.CALL
                is NotificationKind.Invite -> Category.INVITE
                is NotificationKind.Message, NotificationKind.Encrypted -> Category.MESSAGE
                else -> Category.OTHER
            },
            title = if (n.isDm) n.senderName else n.roomName,
            conversationTitle = if (n.isDm) null else n.roomName,
            isGroupConversation = !n.isDm,
            message = line,
            lines = appendLine(previousLines, line),
            eventId = n.eventId,
            threadId = n.threadId,
            unread = n.unread?.toLong(),
            isFallback = false,
            // An invite is answered; a message is read. (An invite's room cannot be read before joining.)
            actions = if (isInvite) listOf(ActionKind.ACCEPT, ActionKind.DECLINE) else listOf(ActionKind.MARK_READ),
            iconAvatarUrl = if (n.isDm) n.senderAvatarUrl else n.roomAvatarUrl,
            hint = if (n.kind is NotificationKind.Encrypted) undecryptableHint(n.undecryptable) else null,
        )
    }

    /**
     * The generic notification: never silent (the server thought it worth a push, and the rules
     * could not be checked), titled with what the payload named, else the app's name.
     */
    fun fallback(account: String, f: FallbackNotification, previousLines: List<MessageLine> = emptyList()): NotificationContent {
        val title = f.title?.takeIf { it.isNotBlank() } ?: appName
        val line = MessageLine("", title, f.body, System.currentTimeMillis())
        val roomId = f.roomId
        return NotificationContent(
            accountId = account,
            roomId = roomId,
            tag = roomId?.let { conversationTagFor(account, it) } ?: "$account/$NO_ROOM",
            // Without a room there is no conversation to replace: one notification per event.
            id = if (roomId != null) NotificationContent.CONVERSATION_ID else idFor(f.eventId ?: "fallback:${f.body}"),
            groupKey = groupKeyFor(account),
            shortcutId = roomId?.let { shortcutIdFor(account, it) },
            channel = Channel.NOISY,
            category = Category.MESSAGE,
            title = title,
            conversationTitle = null,
            isGroupConversation = false,
            message = line,
            lines = appendLine(previousLines, line),
            eventId = f.eventId,
            threadId = null,
            unread = f.unread?.toLong(),
            isFallback = true,
            actions = if (roomId != null && f.eventId != null) listOf(ActionKind.MARK_READ) else emptyList(),
            iconAvatarUrl = null,
        )
    }

    companion object {
        private const val NO_ROOM = "no-room"

        /** One conversation notification per account and room. */
        fun conversationTagFor(account: String, roomId: String): String = "$account/$roomId"

        /** The tag of an account's group summary (a room id never is "summary"). */
        fun summaryTagFor(account: String): String = "$account/summary"

        /** One notification group per account. */
        fun groupKeyFor(account: String): String = "account:$account"

        /** The conversation's shortcut and locus id. */
        fun shortcutIdFor(account: String, roomId: String): String = "$account/$roomId"

        /** A notification id for an event, never [NotificationContent.SUMMARY_ID] or [NotificationContent.CONVERSATION_ID]. */
        fun idFor(eventId: String): Int = (eventId.hashCode() and Int.MAX_VALUE).coerceAtLeast(2)

        /** Appends [line] unless it is already there (a replaced notification), keeping the last [NotificationContent.MAX_LINES]. */
        fun appendLine(previous: List<MessageLine>, line: MessageLine): List<MessageLine> =
            (previous.filterNot { it.sameAs(line) } + line).takeLast(NotificationContent.MAX_LINES)

        /** Lines read back from a notification lose their avatar URL: compare what is kept. */
        private fun MessageLine.sameAs(other: MessageLine) =
            senderKey == other.senderKey && text == other.text && timestampMs == other.timestampMs
    }
}
