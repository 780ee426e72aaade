// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.core.content.pm.ShortcutManagerCompat of androidx.core:core 1.17.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.core.content.pm

import android.content.Context

class ShortcutManagerCompat private constructor() {
    companion object {
        @JvmStatic
        fun pushDynamicShortcut(context: Context, shortcut: ShortcutInfoCompat): Boolean = throw UnsupportedOperationException()

        @JvmStatic
        fun getDynamicShortcuts(context: Context): List<ShortcutInfoCompat> = throw UnsupportedOperationException()

        @JvmStatic
        fun removeLongLivedShortcuts(context: Context, shortcutIds: List<String>): Unit = throw UnsupportedOperationException()
    }
}
