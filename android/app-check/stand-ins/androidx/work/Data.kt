// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.work.Data of androidx.work:work-runtime 2.11.0 (through work-runtime-ktx) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.work

class Data internal constructor() {
    fun getString(key: String): String? = throw UnsupportedOperationException()

    class Builder {
        fun putString(key: String, value: String?): Builder = throw UnsupportedOperationException()

        /** Throws IllegalStateException when the data would exceed MAX_DATA_BYTES serialized. */
        fun build(): Data = throw UnsupportedOperationException()
    }

    companion object {
        const val MAX_DATA_BYTES: Int = 10 * 1024
    }
}
