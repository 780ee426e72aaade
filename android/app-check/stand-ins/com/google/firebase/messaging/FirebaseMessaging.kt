// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors com.google.firebase.messaging.FirebaseMessaging of com.google.firebase:firebase-messaging (the version firebase-bom 34.14.0 pins) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package com.google.firebase.messaging

import com.google.android.gms.tasks.Task

class FirebaseMessaging private constructor() {
    /** The legacy registration token; fails when the manifest enables FID registration. */
    @Deprecated("Firebase Installation ID registration: register()")
    val token: Task<String> get() = throw UnsupportedOperationException()

    /** FID registration (manifest flag firebase_messaging_installation_id_enabled): the FID arrives in onRegistered. */
    fun register(): Task<Void> = throw UnsupportedOperationException()

    companion object {
        @JvmStatic
        fun getInstance(): FirebaseMessaging = throw UnsupportedOperationException()
    }
}
