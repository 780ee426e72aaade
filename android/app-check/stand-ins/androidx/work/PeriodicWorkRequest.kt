// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.work.PeriodicWorkRequest of androidx.work:work-runtime 2.11.0 (through work-runtime-ktx) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.work

import java.util.concurrent.TimeUnit

class PeriodicWorkRequest internal constructor() : WorkRequest() {
    class Builder(workerClass: Class<out ListenableWorker>, repeatInterval: Long, repeatIntervalTimeUnit: TimeUnit) :
        WorkRequest.Builder<Builder, PeriodicWorkRequest>()
}
