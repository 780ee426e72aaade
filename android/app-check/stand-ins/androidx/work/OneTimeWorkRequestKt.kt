// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.work.OneTimeWorkRequestKt (OneTimeWorkRequestBuilder) of androidx.work:work-runtime 2.11.0 (through work-runtime-ktx) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
@file:JvmName("OneTimeWorkRequestKt")
package androidx.work

inline fun <reified W : ListenableWorker> OneTimeWorkRequestBuilder(): OneTimeWorkRequest.Builder =
    OneTimeWorkRequest.Builder(W::class.java)
