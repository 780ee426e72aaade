// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.work.PeriodicWorkRequestKt (PeriodicWorkRequestBuilder) of androidx.work:work-runtime 2.11.0 (through work-runtime-ktx) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
@file:JvmName("PeriodicWorkRequestKt")
package androidx.work

import java.util.concurrent.TimeUnit

inline fun <reified W : ListenableWorker> PeriodicWorkRequestBuilder(repeatInterval: Long, repeatIntervalTimeUnit: TimeUnit): PeriodicWorkRequest.Builder =
    PeriodicWorkRequest.Builder(W::class.java, repeatInterval, repeatIntervalTimeUnit)
