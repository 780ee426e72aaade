// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.lifecycle.RepeatOnLifecycleKt (repeatOnLifecycle) of androidx.lifecycle:lifecycle-runtime 2.10.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
@file:JvmName("RepeatOnLifecycleKt")
package androidx.lifecycle

import kotlinx.coroutines.CoroutineScope

suspend fun LifecycleOwner.repeatOnLifecycle(state: Lifecycle.State, block: suspend CoroutineScope.() -> Unit): Unit =
    throw UnsupportedOperationException()
