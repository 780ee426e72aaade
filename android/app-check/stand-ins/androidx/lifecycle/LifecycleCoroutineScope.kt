// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.lifecycle.LifecycleCoroutineScope of androidx.lifecycle:lifecycle-runtime 2.10.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.lifecycle

import kotlinx.coroutines.CoroutineScope

abstract class LifecycleCoroutineScope internal constructor() : CoroutineScope
