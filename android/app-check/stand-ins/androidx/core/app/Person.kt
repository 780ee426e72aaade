// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.core.app.Person of androidx.core:core 1.17.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.core.app

import androidx.core.graphics.drawable.IconCompat

class Person private constructor() {
    val name: CharSequence? get() = throw UnsupportedOperationException()
    val key: String? get() = throw UnsupportedOperationException()
    val icon: IconCompat? get() = throw UnsupportedOperationException()

    class Builder {
        fun setName(name: CharSequence?): Builder = throw UnsupportedOperationException()
        fun setKey(key: String?): Builder = throw UnsupportedOperationException()
        fun setIcon(icon: IconCompat?): Builder = throw UnsupportedOperationException()
        fun build(): Person = throw UnsupportedOperationException()
    }
}
