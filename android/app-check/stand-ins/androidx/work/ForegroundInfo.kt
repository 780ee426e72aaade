// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.work.ForegroundInfo of androidx.work:work-runtime 2.11.0 (through work-runtime-ktx) (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.work

import android.app.Notification

// A final Java class in the library; the app uses its two-argument constructor (foreground
// service type 0: only Android 11 and older run expedited work as a foreground service).
class ForegroundInfo(notificationId: Int, notification: Notification)
