// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.work.CoroutineWorker of androidx.work:work-runtime 2.11.0 (through work-runtime-ktx) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.work

import android.content.Context

abstract class CoroutineWorker(appContext: Context, params: WorkerParameters) : ListenableWorker(appContext, params) {
    abstract suspend fun doWork(): Result

    /** The library's default throws IllegalStateException("Not implemented"). */
    open suspend fun getForegroundInfo(): ForegroundInfo = throw UnsupportedOperationException()
}
