// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors com.google.android.gms.tasks.Task of com.google.android.gms:play-services-tasks (the version firebase-messaging of firebase-bom 34.14.0 brings) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package com.google.android.gms.tasks

// Awaited with kotlinx-coroutines-play-services' Task.await() (the real jar, from Maven Central).
abstract class Task<TResult>
