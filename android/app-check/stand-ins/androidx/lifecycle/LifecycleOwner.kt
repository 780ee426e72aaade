// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.lifecycle.LifecycleOwner of androidx.lifecycle:lifecycle-common 2.10.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.lifecycle

interface LifecycleOwner {
    val lifecycle: Lifecycle
}
