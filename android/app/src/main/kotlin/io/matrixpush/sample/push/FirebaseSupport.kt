package io.matrixpush.sample.push

import android.content.Context
import android.content.pm.PackageManager
import com.google.firebase.FirebaseApp
import io.matrixpush.sample.BuildConfig

/**
 * Whether FCM can work on this install: the build has a real google-services.json (not the
 * repository's placeholder), Firebase initialised from it, and Google Play services is on the
 * phone (FCM is delivered through it). When not, the app uses UnifiedPush or says "push not
 * configured" — it never calls into FCM (and with the placeholder, the manifest turns FCM's
 * auto-init off: app/build.gradle.kts).
 */
object FirebaseSupport {
    const val PLAY_SERVICES = "com.google.android.gms"

    fun isAvailable(context: Context): Boolean =
        BuildConfig.FIREBASE_CONFIGURED && FirebaseApp.getApps(context).isNotEmpty() && hasPlayServices(context)

    /** Installed and enabled (the manifest's <queries> makes the package visible on Android 11+). */
    private fun hasPlayServices(context: Context): Boolean = try {
        context.packageManager.getApplicationInfo(PLAY_SERVICES, 0).enabled
    } catch (e: PackageManager.NameNotFoundException) {
        false
    }
}
