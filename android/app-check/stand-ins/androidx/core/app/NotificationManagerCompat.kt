// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.core.app.NotificationManagerCompat of androidx.core:core 1.17.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.core.app

import android.app.Notification
import android.content.Context

class NotificationManagerCompat private constructor() {
    fun notify(tag: String?, id: Int, notification: Notification): Unit = throw UnsupportedOperationException()
    fun cancel(tag: String?, id: Int): Unit = throw UnsupportedOperationException()
    fun areNotificationsEnabled(): Boolean = throw UnsupportedOperationException()

    companion object {
        @JvmStatic
        fun from(context: Context): NotificationManagerCompat = throw UnsupportedOperationException()
    }
}
