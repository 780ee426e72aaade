// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.lifecycle.LifecycleOwnerKt (lifecycleScope) of androidx.lifecycle:lifecycle-runtime 2.10.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
@file:JvmName("LifecycleOwnerKt")
package androidx.lifecycle

val LifecycleOwner.lifecycleScope: LifecycleCoroutineScope
    get() = throw UnsupportedOperationException()
