// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors com.google.firebase.messaging.RemoteMessage of com.google.firebase:firebase-messaging (the version firebase-bom 34.14.0 pins) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package com.google.firebase.messaging

// The real class is a Parcelable (AbstractSafeParcelable); the app uses only its data.
class RemoteMessage private constructor() {
    val data: Map<String, String> get() = throw UnsupportedOperationException()
}
