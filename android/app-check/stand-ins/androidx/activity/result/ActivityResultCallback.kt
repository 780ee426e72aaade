// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.activity.result.ActivityResultCallback of androidx.activity:activity 1.11.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.activity.result

fun interface ActivityResultCallback<O> {
    fun onActivityResult(result: O)
}
