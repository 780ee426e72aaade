// STAND-IN, for scripts/android-app-check only: never packaged, never run (bodies throw).
// Mirrors androidx.activity.ComponentActivity of androidx.activity:activity 1.11.0 (android/gradle/libs.versions.toml),
// declaring only the members the app uses, with the real API's names, types and nullability.
package androidx.activity

import android.app.Activity
import androidx.activity.result.ActivityResultCallback
import androidx.activity.result.ActivityResultCaller
import androidx.activity.result.ActivityResultLauncher
import androidx.activity.result.contract.ActivityResultContract
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner

// The real class extends androidx.core.app.ComponentActivity (an Activity); the app uses neither
// that class's members nor the other interfaces it implements.
open class ComponentActivity : Activity(), LifecycleOwner, ActivityResultCaller {
    override val lifecycle: Lifecycle get() = throw UnsupportedOperationException()

    final override fun <I, O> registerForActivityResult(
        contract: ActivityResultContract<I, O>,
        callback: ActivityResultCallback<O>,
    ): ActivityResultLauncher<I> = throw UnsupportedOperationException()
}
