// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors com.google.firebase.FirebaseApp of com.google.firebase:firebase-common (the version firebase-bom 34.14.0 pins) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package com.google.firebase

import android.content.Context

class FirebaseApp private constructor() {
    companion object {
        @JvmStatic
        fun getApps(context: Context): List<FirebaseApp> = throw UnsupportedOperationException()
    }
}
