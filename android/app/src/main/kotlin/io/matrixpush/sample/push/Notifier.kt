package io.matrixpush.sample.push

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationChannelGroup
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.service.notification.StatusBarNotification
import android.util.Log
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.app.Person
import androidx.core.content.LocusIdCompat
import androidx.core.graphics.drawable.IconCompat
import io.matrixpush.core.Thumbnail
import io.matrixpush.sample.logic.ActionKind
import io.matrixpush.sample.logic.ActionRequest
import io.matrixpush.sample.logic.ActionResult
import io.matrixpush.sample.logic.Category
import io.matrixpush.sample.logic.Channel
import io.matrixpush.sample.logic.ConversationBudget
import io.matrixpush.sample.logic.Importance
import io.matrixpush.sample.logic.MessageLine
import io.matrixpush.sample.logic.NotificationAction
import io.matrixpush.sample.logic.NotificationContent
import io.matrixpush.sample.logic.NotificationMapper
import io.matrixpush.sample.logic.PostedConversation

/**
 * Applies what the logic module decided to Android's notifications: one MessagingStyle
 * notification per conversation (tag = account/room, id = CONVERSATION_ID), whose lines are read
 * back from the posted notification when the next message arrives (so they survive process
 * death, without a database); Person icons from avatars; a long-lived conversation shortcut;
 * the buttons; one group per account under a summary; per-account channels in a channel group.
 */
class Notifier(private val context: Context) {
    private val manager = NotificationManagerCompat.from(context)
    private val system = context.getSystemService(NotificationManager::class.java)

    /** Creates (or renames) [account]'s channel group and channels; safe to call on every start. */
    fun createChannels(account: String) {
        system.createNotificationChannelGroup(NotificationChannelGroup(Channel.groupIdFor(account), account))
        Channel.entries.forEach { channel ->
            val importance = when (channel.importance) {
                Importance.HIGH -> NotificationManager.IMPORTANCE_HIGH
                Importance.DEFAULT -> NotificationManager.IMPORTANCE_DEFAULT
                Importance.LOW -> NotificationManager.IMPORTANCE_LOW
            }
            system.createNotificationChannel(
                NotificationChannel(channel.idFor(account), channel.title, importance).apply {
                    description = channel.description
                    group = Channel.groupIdFor(account)
                    if (channel == Channel.SILENT) setSound(null, null)
                },
            )
        }
    }

    /** Signed out: the account's notifications, channels and conversation shortcuts go. */
    fun forgetAccount(account: String) {
        system.activeNotifications.filter { it.notification.group == NotificationMapper.groupKeyFor(account) }
            .forEach { manager.cancel(it.tag, it.id) }
        system.deleteNotificationChannelGroup(Channel.groupIdFor(account))
        ConversationShortcuts.removeAll(context, account)
    }

    fun apply(action: NotificationAction) {
        when (action) {
            is NotificationAction.Post -> post(action.content, action.avatars)
            // Launchers draw the badge from the notifications left, so cancelling is all it takes.
            is NotificationAction.Cancel -> cancel(action.accountId, action.tags)
            is NotificationAction.Ignore -> Log.d(TAG, "nothing to show: ${action.reason}")
        }
    }

    /** A conversation's lines on screen, read back from its notification. */
    fun linesOf(account: String, roomId: String): List<MessageLine> =
        postedStyle(NotificationMapper.conversationTagFor(account, roomId))?.messages.orEmpty().map { m ->
            MessageLine(
                senderKey = m.person?.key.orEmpty(),
                senderName = m.person?.name?.toString().orEmpty(),
                text = m.text?.toString().orEmpty(),
                timestampMs = m.timestamp,
            )
        }

    /** After a button's request: gone when it worked, else the notification says what failed. */
    fun onActionDone(request: ActionRequest, result: ActionResult) {
        val tag = NotificationMapper.conversationTagFor(request.accountId, request.roomId)
        when (result) {
            ActionResult.Done -> cancel(request.accountId, listOf(tag))
            is ActionResult.Failed -> {
                val posted = posted(tag, NotificationContent.CONVERSATION_ID) ?: return
                val updated = Notification.Builder.recoverBuilder(context, posted.notification)
                    .setSubText(result.message)
                    .setOnlyAlertOnce(true)
                    .build()
                manager.notify(tag, NotificationContent.CONVERSATION_ID, updated)
            }
        }
    }

    private fun post(content: NotificationContent, avatars: Map<String, Thumbnail>) {
        // Covers the POST_NOTIFICATIONS permission (Android 13+) and the app's notifications switch.
        if (!manager.areNotificationsEnabled()) {
            Log.w(TAG, "notifications are not allowed; nothing posted")
            return
        }
        makeRoom(content.accountId, content.tag)
        val icons = IconCache(avatars, postedStyle(content.tag))
        val people = content.lines.map { line -> person(line, icons) }
        val conversationIcon = content.iconAvatarUrl?.let(icons::forUrl)
        ConversationShortcuts.publish(context, content, conversationIcon, people.filter { it.key != null }.distinctBy { it.key })

        val style = NotificationCompat.MessagingStyle(Person.Builder().setName("You").setKey(content.accountId).build())
            .setConversationTitle(content.conversationTitle)
            .setGroupConversation(content.isGroupConversation)
        content.lines.zip(people).forEach { (line, person) -> style.addMessage(line.text, line.timestampMs, person) }

        val builder = NotificationCompat.Builder(context, content.channel.idFor(content.accountId))
            .setSmallIcon(android.R.drawable.stat_notify_chat)
            .setContentTitle(content.title)
            .setContentText(content.message.text)
            .setStyle(style)
            .setCategory(category(content.category))
            .setGroup(content.groupKey)
            .setNumber(content.unread?.toInt() ?: 0)
            .setWhen(content.message.timestampMs)
            .setShowWhen(true)
            .setAutoCancel(true)
            .setContentIntent(openConversation(content))
        content.shortcutId?.let { builder.setShortcutId(it).setLocusId(LocusIdCompat(it)) }
        // Under "Encrypted message": what would make it readable. Set per post, so it goes with the next message.
        content.hint?.let { builder.setSubText(it) }
        content.roomId?.let { roomId -> content.actions.forEach { kind -> builder.addAction(action(content, roomId, kind)) } }
        manager.notify(content.tag, content.id, builder.build())
        postSummary(content)
    }

    /** The account's group summary (shown on its own only where groups are not bundled). */
    private fun postSummary(content: NotificationContent) {
        val summary = NotificationCompat.Builder(context, Channel.SILENT.idFor(content.accountId))
            .setSmallIcon(android.R.drawable.stat_notify_chat)
            .setContentTitle(content.accountId)
            .setGroup(content.groupKey)
            .setGroupSummary(true)
            // The conversation alerted already; the summary only collects.
            .setGroupAlertBehavior(NotificationCompat.GROUP_ALERT_CHILDREN)
            .setAutoCancel(true)
            .build()
        manager.notify(NotificationMapper.summaryTagFor(content.accountId), NotificationContent.SUMMARY_ID, summary)
    }

    /** Keeps the app under Android's per-app notification cap: the oldest conversations make room. */
    private fun makeRoom(account: String, incomingTag: String) {
        val conversations = system.activeNotifications
            .filter { it.id == NotificationContent.CONVERSATION_ID }
            .map { PostedConversation(it.tag.orEmpty(), it.postTime) }
        val evicted = ConversationBudget.toEvict(conversations, incomingTag)
        evicted.forEach { manager.cancel(it, NotificationContent.CONVERSATION_ID) }
        if (evicted.isNotEmpty()) removeEmptySummaries()
        Log.d(TAG, "conversations on screen: ${conversations.size}, removed ${evicted.size} for $account")
    }

    private fun cancel(account: String, tags: List<String>) {
        if (tags.isEmpty()) return
        system.activeNotifications.filter { it.tag in tags }.forEach { manager.cancel(it.tag, it.id) }
        removeEmptySummaries()
        Log.d(TAG, "cancelled ${tags.size} conversation(s) of $account")
    }

    /** A summary whose group has nothing left goes too. */
    private fun removeEmptySummaries() {
        val active = system.activeNotifications
        active.filter { it.id == NotificationContent.SUMMARY_ID && it.notification.flags and Notification.FLAG_GROUP_SUMMARY != 0 }
            .filter { summary -> active.none { it !== summary && it.notification.group == summary.notification.group } }
            .forEach { manager.cancel(it.tag, it.id) }
    }

    private fun posted(tag: String, id: Int): StatusBarNotification? =
        system.activeNotifications.firstOrNull { it.tag == tag && it.id == id }

    private fun postedStyle(tag: String): NotificationCompat.MessagingStyle? =
        posted(tag, NotificationContent.CONVERSATION_ID)?.let {
            NotificationCompat.MessagingStyle.extractMessagingStyleFromNotification(it.notification)
        }

    private fun person(line: MessageLine, icons: IconCache): Person = Person.Builder()
        .setName(line.senderName)
        .setKey(line.senderKey.ifEmpty { null })
        .setIcon(icons.forLine(line))
        .build()

    /** Opens the app; unique per conversation (its data), immutable. */
    private fun openConversation(content: NotificationContent): PendingIntent = PendingIntent.getActivity(
        context, 0,
        ConversationShortcuts.openIntent(context, content.shortcutId ?: content.tag)
            .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_CLEAR_TOP),
        PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
    )

    /** A button: a broadcast to ActionReceiver, its request in the data (unique per room and action), immutable. */
    private fun action(content: NotificationContent, roomId: String, kind: ActionKind): NotificationCompat.Action {
        val request = ActionRequest(kind, content.accountId, roomId, content.eventId)
        val pending = PendingIntent.getBroadcast(
            context, 0, ActionReceiver.intentFor(context, request),
            PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
        return NotificationCompat.Action.Builder(0, kind.label, pending)
            .setSemanticAction(
                when (kind) {
                    ActionKind.MARK_READ -> NotificationCompat.Action.SEMANTIC_ACTION_MARK_AS_READ
                    ActionKind.ACCEPT, ActionKind.DECLINE -> NotificationCompat.Action.SEMANTIC_ACTION_NONE
                },
            )
            .setShowsUserInterface(false)
            .build()
    }

    private fun category(category: Category) = when (category) {
        Category.MESSAGE -> NotificationCompat.CATEGORY_MESSAGE
        Category.CALL -> NotificationCompat.CATEGORY_CALL
        Category.INVITE -> NotificationCompat.CATEGORY_SOCIAL
        Category.OTHER -> NotificationCompat.CATEGORY_EVENT
    }

    /**
     * Icons for the people of one notification: a thumbnail fetched for this push, else the icon
     * the posted notification already had for that sender (read back with its lines).
     */
    private class IconCache(avatars: Map<String, Thumbnail>, posted: NotificationCompat.MessagingStyle?) {
        private val fetched = avatars.mapNotNull { (url, thumbnail) -> AvatarIcons.icon(thumbnail.bytes)?.let { url to it } }.toMap()
        private val previous = posted?.messages.orEmpty()
            .mapNotNull { m -> m.person?.let { p -> p.key?.let { key -> p.icon?.let { key to it } } } }.toMap()

        fun forUrl(url: String): IconCompat? = fetched[url]

        fun forLine(line: MessageLine): IconCompat? =
            line.senderAvatarUrl?.let(fetched::get) ?: previous[line.senderKey]
    }

    private companion object {
        const val TAG = "Notifier"
    }
}
