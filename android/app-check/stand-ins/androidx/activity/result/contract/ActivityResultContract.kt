// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.activity.result.contract.ActivityResultContract of androidx.activity:activity 1.11.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.activity.result.contract

import android.content.Context
import android.content.Intent

abstract class ActivityResultContract<I, O> {
    abstract fun createIntent(context: Context, input: I): Intent
    abstract fun parseResult(resultCode: Int, intent: Intent?): O
}
