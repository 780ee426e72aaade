// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.activity.result.contract.ActivityResultContracts of androidx.activity:activity 1.11.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.activity.result.contract

import android.content.Context
import android.content.Intent

class ActivityResultContracts private constructor() {
    class RequestPermission : ActivityResultContract<String, Boolean>() {
        override fun createIntent(context: Context, input: String): Intent = throw UnsupportedOperationException()
        override fun parseResult(resultCode: Int, intent: Intent?): Boolean = throw UnsupportedOperationException()
    }
}
