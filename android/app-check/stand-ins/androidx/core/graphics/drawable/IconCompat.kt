// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.core.graphics.drawable.IconCompat of androidx.core:core 1.17.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.core.graphics.drawable

import android.graphics.Bitmap

// The real class is a CustomVersionedParcelable; the app only creates icons from bitmaps.
open class IconCompat private constructor() {
    companion object {
        @JvmStatic
        fun createWithBitmap(bits: Bitmap): IconCompat = throw UnsupportedOperationException()
    }
}
