// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.core.content.pm.ShortcutInfoCompat of androidx.core:core 1.17.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.core.content.pm

import android.content.Context
import android.content.Intent
import androidx.core.app.Person
import androidx.core.content.LocusIdCompat
import androidx.core.graphics.drawable.IconCompat

class ShortcutInfoCompat private constructor() {
    val id: String get() = throw UnsupportedOperationException()

    class Builder(context: Context, id: String) {
        fun setShortLabel(shortLabel: CharSequence): Builder = throw UnsupportedOperationException()
        fun setLongLived(longLived: Boolean): Builder = throw UnsupportedOperationException()
        fun setLocusId(locusId: LocusIdCompat?): Builder = throw UnsupportedOperationException()
        fun setCategories(categories: Set<String>): Builder = throw UnsupportedOperationException()
        fun setIntent(intent: Intent): Builder = throw UnsupportedOperationException()
        fun setPersons(persons: Array<Person>): Builder = throw UnsupportedOperationException()
        fun setIcon(icon: IconCompat?): Builder = throw UnsupportedOperationException()
        fun build(): ShortcutInfoCompat = throw UnsupportedOperationException()
    }
}
