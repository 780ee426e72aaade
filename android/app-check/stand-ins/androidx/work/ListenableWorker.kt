// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.work.ListenableWorker of androidx.work:work-runtime 2.11.0 (through work-runtime-ktx) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.work

import android.content.Context

abstract class ListenableWorker(appContext: Context, workerParams: WorkerParameters) {
    val applicationContext: Context get() = throw UnsupportedOperationException()
    val inputData: Data get() = throw UnsupportedOperationException()

    abstract class Result internal constructor() {
        companion object {
            @JvmStatic
            fun success(): Result = throw UnsupportedOperationException()

            @JvmStatic
            fun retry(): Result = throw UnsupportedOperationException()

            @JvmStatic
            fun failure(): Result = throw UnsupportedOperationException()
        }
    }
}
