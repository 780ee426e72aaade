// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors com.google.firebase.messaging.FirebaseMessagingService of com.google.firebase:firebase-messaging (the version firebase-bom 34.14.0 pins) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package com.google.firebase.messaging

import android.app.Service
import android.content.Intent
import android.os.IBinder

// The real class extends com.google.firebase.messaging.EnhancedIntentService (a Service).
open class FirebaseMessagingService : Service() {
    final override fun onBind(intent: Intent?): IBinder? = throw UnsupportedOperationException()
    open fun onMessageReceived(message: RemoteMessage): Unit = throw UnsupportedOperationException()
    open fun onNewToken(token: String): Unit = throw UnsupportedOperationException()
    open fun onRegistered(installationId: String): Unit = throw UnsupportedOperationException()
    open fun onUnregistered(installationId: String): Unit = throw UnsupportedOperationException()
}
