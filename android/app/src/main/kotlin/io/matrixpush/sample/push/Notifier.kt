package io.matrixpush.sample.push

import android.Manifest
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.util.Log
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.app.Person
import androidx.core.content.ContextCompat
import io.matrixpush.sample.logic.Category
import io.matrixpush.sample.logic.Channel
import io.matrixpush.sample.logic.Importance
import io.matrixpush.sample.logic.MessageLine
import io.matrixpush.sample.logic.NotificationAction
import io.matrixpush.sample.logic.NotificationContent
import io.matrixpush.sample.ui.MainActivity

/**
 * Applies what the logic module decided to Android's NotificationManager. Each event is its own
 * notification (tag = room, id = event), grouped per room under a summary (tag = room,
 * id = SUMMARY_ID) whose MessagingStyle shows the room's recent lines with sender names.
 */
class Notifier(private val context: Context) {
    private val manager = NotificationManagerCompat.from(context)
    private val system = context.getSystemService(NotificationManager::class.java)

    /** Creates (or updates the names of) the three channels; safe to call on every start. */
    fun createChannels() {
        Channel.entries.forEach { channel ->
            val importance = when (channel.importance) {
                Importance.HIGH -> NotificationManager.IMPORTANCE_HIGH
                Importance.DEFAULT -> NotificationManager.IMPORTANCE_DEFAULT
                Importance.LOW -> NotificationManager.IMPORTANCE_LOW
            }
            system.createNotificationChannel(
                NotificationChannel(channel.id, channel.title, importance).apply {
                    description = channel.description
                    if (channel == Channel.SILENT) setSound(null, null)
                },
            )
        }
    }

    fun apply(action: NotificationAction) {
        when (action) {
            is NotificationAction.Post -> post(action.content)
            // Launchers draw the badge from the notifications left, so cancelling is all it takes.
            is NotificationAction.Cancel -> cancelTags(action.tags.toSet())
            is NotificationAction.Ignore -> Log.d(TAG, "nothing to show: ${action.reason}")
        }
    }

    /** The lines on screen for a room, read back from its summary (so they survive process death). */
    fun linesOf(roomId: String): List<MessageLine> {
        val summary = system.activeNotifications
            .firstOrNull { it.tag == roomId && it.id == NotificationContent.SUMMARY_ID } ?: return emptyList()
        val style = NotificationCompat.MessagingStyle.extractMessagingStyleFromNotification(summary.notification)
            ?: return emptyList()
        return style.messages.map { m ->
            MessageLine(
                senderKey = m.person?.key.orEmpty(),
                senderName = m.person?.name?.toString().orEmpty(),
                text = m.text?.toString().orEmpty(),
                timestampMs = m.timestamp,
            )
        }
    }

    private fun post(content: NotificationContent) {
        if (Build.VERSION.SDK_INT >= 33 &&
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            Log.w(TAG, "notifications are not allowed; dropping ${content.eventId}")
            return
        }
        val open = PendingIntent.getActivity(
            context, 0,
            Intent(context, MainActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_CLEAR_TOP),
            PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
        val event = builder(content, open)
            .setStyle(
                if (content.isFallback) NotificationCompat.BigTextStyle().bigText(content.message.text)
                else messagingStyle(content, listOf(content.message)),
            )
            .setWhen(content.message.timestampMs)
            .setShowWhen(true)
            .build()
        val summary = builder(content, open)
            .setStyle(messagingStyle(content, content.lines))
            .setGroupSummary(true)
            // The event notification already alerted; the summary only collects.
            .setGroupAlertBehavior(NotificationCompat.GROUP_ALERT_CHILDREN)
            .build()
        manager.notify(content.tag, content.id, event)
        manager.notify(content.tag, NotificationContent.SUMMARY_ID, summary)
    }

    private fun builder(content: NotificationContent, open: PendingIntent) =
        NotificationCompat.Builder(context, content.channel.id)
            .setSmallIcon(android.R.drawable.stat_notify_chat)
            .setContentTitle(content.title)
            .setContentText(content.message.text)
            .setCategory(
                when (content.category) {
                    Category.MESSAGE -> NotificationCompat.CATEGORY_MESSAGE
                    Category.CALL -> NotificationCompat.CATEGORY_CALL
                    Category.INVITE -> NotificationCompat.CATEGORY_SOCIAL
                    Category.OTHER -> NotificationCompat.CATEGORY_EVENT
                },
            )
            .setGroup(content.groupKey)
            .setNumber(content.unread?.toInt() ?: 0)
            .setAutoCancel(true)
            .setContentIntent(open)

    private fun messagingStyle(content: NotificationContent, lines: List<MessageLine>): NotificationCompat.MessagingStyle {
        val style = NotificationCompat.MessagingStyle(Person.Builder().setName("Me").setKey("me").build())
            .setConversationTitle(content.conversationTitle)
            .setGroupConversation(content.isGroupConversation)
        lines.forEach { line ->
            val sender = Person.Builder().setName(line.senderName).setKey(line.senderKey.ifEmpty { null }).build()
            style.addMessage(line.text, line.timestampMs, sender)
        }
        return style
    }

    private fun cancelTags(tags: Set<String>) {
        if (tags.isEmpty()) return
        system.activeNotifications.filter { it.tag in tags }.forEach { manager.cancel(it.tag, it.id) }
    }

    private companion object {
        const val TAG = "Notifier"
    }
}
