// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.work.WorkRequest of androidx.work:work-runtime 2.11.0 (through work-runtime-ktx) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.work

abstract class WorkRequest internal constructor() {
    abstract class Builder<B : Builder<B, *>, W : WorkRequest> internal constructor() {
        fun setConstraints(constraints: Constraints): B = throw UnsupportedOperationException()
        fun setInputData(inputData: Data): B = throw UnsupportedOperationException()
        open fun setExpedited(policy: OutOfQuotaPolicy): B = throw UnsupportedOperationException()
        fun build(): W = throw UnsupportedOperationException()
    }
}
