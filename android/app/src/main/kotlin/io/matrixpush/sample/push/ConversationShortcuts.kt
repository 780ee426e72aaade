package io.matrixpush.sample.push

import android.content.Context
import android.content.Intent
import android.content.pm.ShortcutInfo
import android.net.Uri
import androidx.core.app.Person
import androidx.core.content.LocusIdCompat
import androidx.core.content.pm.ShortcutInfoCompat
import androidx.core.content.pm.ShortcutManagerCompat
import androidx.core.graphics.drawable.IconCompat
import io.matrixpush.sample.logic.NotificationContent
import io.matrixpush.sample.ui.MainActivity

/**
 * A long-lived dynamic shortcut per conversation, pushed when its notification is posted: with the
 * notification's shortcut id and locus id, it is what Android 11+ needs to list the notification
 * under "Conversations" (priority, bubbles, the conversation's own settings) rather than as an
 * ordinary alert. pushDynamicShortcut keeps the most recent ones within the launcher's limit.
 */
object ConversationShortcuts {
    fun publish(context: Context, content: NotificationContent, icon: IconCompat?, people: List<Person>) {
        val id = content.shortcutId ?: return
        val shortcut = ShortcutInfoCompat.Builder(context, id)
            .setShortLabel(content.title)
            .setLongLived(true)
            .setLocusId(LocusIdCompat(id))
            .setCategories(setOf(ShortcutInfo.SHORTCUT_CATEGORY_CONVERSATION))
            .setIntent(openIntent(context, id))
            .setPersons(people.toTypedArray())
            .apply { if (icon != null) setIcon(icon) }
            .build()
        ShortcutManagerCompat.pushDynamicShortcut(context, shortcut)
    }

    /** Signed out: [account]'s conversation shortcuts go (their ids start with the account, see NotificationMapper). */
    fun removeAll(context: Context, account: String) {
        val ids = ShortcutManagerCompat.getDynamicShortcuts(context).map { it.id }.filter { it.startsWith("$account/") }
        if (ids.isNotEmpty()) ShortcutManagerCompat.removeLongLivedShortcuts(context, ids)
    }

    /** Opens the app on the conversation (the sample has no conversation screen: its main screen). */
    fun openIntent(context: Context, shortcutId: String): Intent =
        Intent(context, MainActivity::class.java)
            .setAction(Intent.ACTION_VIEW)
            .setData(Uri.parse("matrixpush://conversation/" + Uri.encode(shortcutId)))
}
