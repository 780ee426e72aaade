// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.core.content.ContextCompat of androidx.core:core 1.17.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.core.content

import android.content.Context

open class ContextCompat protected constructor() {
    companion object {
        @JvmStatic
        fun checkSelfPermission(context: Context, permission: String): Int = throw UnsupportedOperationException()
    }
}
