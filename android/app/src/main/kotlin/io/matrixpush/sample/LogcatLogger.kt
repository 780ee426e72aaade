package io.matrixpush.sample

import android.util.Log
import io.matrixpush.LogLevel
import io.matrixpush.MatrixPushLogger

/**
 * The library's log lines, in Logcat under the tag `matrix-push` (`adb logcat -s matrix-push`).
 * Called from the library's threads; tokens and passwords never reach it.
 */
class LogcatLogger : MatrixPushLogger {
    override fun log(level: LogLevel, target: String, message: String) {
        val priority = when (level) {
            LogLevel.ERROR -> Log.ERROR
            LogLevel.WARN -> Log.WARN
            LogLevel.INFO -> Log.INFO
            LogLevel.DEBUG -> Log.DEBUG
            LogLevel.TRACE -> Log.VERBOSE
        }
        Log.println(priority, TAG, "$target: $message")
    }

    companion object {
        const val TAG = "matrix-push"
    }
}
