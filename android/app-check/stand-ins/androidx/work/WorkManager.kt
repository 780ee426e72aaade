// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.work.WorkManager of androidx.work:work-runtime 2.11.0 (through work-runtime-ktx) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.work

import android.content.Context

abstract class WorkManager internal constructor() {
    fun enqueue(request: WorkRequest): Operation = throw UnsupportedOperationException()

    open fun enqueueUniqueWork(uniqueWorkName: String, existingWorkPolicy: ExistingWorkPolicy, request: OneTimeWorkRequest): Operation =
        throw UnsupportedOperationException()

    abstract fun enqueueUniquePeriodicWork(
        uniqueWorkName: String,
        existingPeriodicWorkPolicy: ExistingPeriodicWorkPolicy,
        request: PeriodicWorkRequest,
    ): Operation

    companion object {
        @JvmStatic
        fun getInstance(context: Context): WorkManager = throw UnsupportedOperationException()
    }
}
