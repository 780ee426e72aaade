// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.core.app.NotificationCompat of androidx.core:core 1.17.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.core.app

import android.app.Notification
import android.app.PendingIntent
import android.content.Context
import androidx.core.content.LocusIdCompat

open class NotificationCompat {
    open class Builder(context: Context, channelId: String) {
        fun setSmallIcon(icon: Int): Builder = throw UnsupportedOperationException()
        fun setContentTitle(title: CharSequence?): Builder = throw UnsupportedOperationException()
        fun setContentText(text: CharSequence?): Builder = throw UnsupportedOperationException()
        fun setSubText(text: CharSequence?): Builder = throw UnsupportedOperationException()
        fun setCategory(category: String?): Builder = throw UnsupportedOperationException()
        fun setGroup(groupKey: String?): Builder = throw UnsupportedOperationException()
        fun setGroupSummary(isGroupSummary: Boolean): Builder = throw UnsupportedOperationException()
        fun setGroupAlertBehavior(groupAlertBehavior: Int): Builder = throw UnsupportedOperationException()
        fun setNumber(number: Int): Builder = throw UnsupportedOperationException()
        fun setAutoCancel(autoCancel: Boolean): Builder = throw UnsupportedOperationException()
        fun setContentIntent(intent: PendingIntent?): Builder = throw UnsupportedOperationException()
        fun setStyle(style: Style?): Builder = throw UnsupportedOperationException()
        fun setWhen(`when`: Long): Builder = throw UnsupportedOperationException()
        fun setShowWhen(show: Boolean): Builder = throw UnsupportedOperationException()
        fun setShortcutId(shortcutId: String?): Builder = throw UnsupportedOperationException()
        fun setLocusId(locusId: LocusIdCompat?): Builder = throw UnsupportedOperationException()
        fun addAction(action: Action?): Builder = throw UnsupportedOperationException()
        fun build(): Notification = throw UnsupportedOperationException()
    }

    abstract class Style

    open class Action {
        class Builder(icon: Int, title: CharSequence?, intent: PendingIntent?) {
            fun setSemanticAction(semanticAction: Int): Builder = throw UnsupportedOperationException()
            fun setShowsUserInterface(showsUserInterface: Boolean): Builder = throw UnsupportedOperationException()
            fun build(): Action = throw UnsupportedOperationException()
        }

        companion object {
            const val SEMANTIC_ACTION_NONE: Int = 0
            const val SEMANTIC_ACTION_MARK_AS_READ: Int = 2
        }
    }

    open class BigTextStyle : Style() {
        fun bigText(cs: CharSequence?): BigTextStyle = throw UnsupportedOperationException()
    }

    open class MessagingStyle(user: Person) : Style() {
        fun setConversationTitle(conversationTitle: CharSequence?): MessagingStyle = throw UnsupportedOperationException()
        fun setGroupConversation(isGroupConversation: Boolean): MessagingStyle = throw UnsupportedOperationException()
        fun addMessage(text: CharSequence?, timestamp: Long, person: Person?): MessagingStyle =
            throw UnsupportedOperationException()
        val messages: List<Message> get() = throw UnsupportedOperationException()

        class Message(text: CharSequence?, timestamp: Long, person: Person?) {
            val text: CharSequence? get() = throw UnsupportedOperationException()
            val timestamp: Long get() = throw UnsupportedOperationException()
            val person: Person? get() = throw UnsupportedOperationException()
        }

        companion object {
            @JvmStatic
            fun extractMessagingStyleFromNotification(notification: Notification): MessagingStyle? =
                throw UnsupportedOperationException()
        }
    }

    companion object {
        const val CATEGORY_MESSAGE: String = "msg"
        const val CATEGORY_CALL: String = "call"
        const val CATEGORY_SOCIAL: String = "social"
        const val CATEGORY_EVENT: String = "event"
        const val GROUP_ALERT_CHILDREN: Int = 2
    }
}
