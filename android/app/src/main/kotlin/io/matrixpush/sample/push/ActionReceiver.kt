package io.matrixpush.sample.push

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.util.Log
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.ActionRequest
import io.matrixpush.sample.logic.ActionResult
import io.matrixpush.sample.logic.ActionRunner
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull

/**
 * A notification's buttons (Mark as read, Accept, Decline). onReceive runs on the main thread
 * and must not block it: goAsync() keeps the broadcast alive while the request runs in the
 * process's scope, bounded well under the system's 10 s for a pending broadcast; then the
 * notification goes (done) or says what failed.
 */
class ActionReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        val request = ActionRequest.fromUri(intent.dataString) ?: run {
            Log.w(TAG, "not a notification action: ${intent.action}")
            return
        }
        val app = context.applicationContext as SampleApp
        val pending = goAsync()
        app.appScope.launch {
            try {
                val account = app.accounts.byId(request.accountId)
                val result = if (account == null) {
                    ActionResult.Failed("${request.kind.label} failed: ${request.accountId} is signed out.")
                } else {
                    // Mark as read: a private receipt when the user chose so in the settings.
                    val runner = ActionRunner(account.client, privateReceipt = app.readReceipts.privateReceipts)
                    withTimeoutOrNull(LIMIT_MS) { runner.run(request) }
                        ?: ActionResult.Failed("${request.kind.label} failed: the server took too long.")
                }
                Log.i(TAG, "${request.kind}: $result")
                Notifier(app).onActionDone(request, result)
            } finally {
                pending.finish()
            }
        }
    }

    companion object {
        private const val TAG = "ActionReceiver"
        private const val LIMIT_MS = 8_000L

        /**
         * The explicit intent of a button's PendingIntent: the request is its data, so each account,
         * room and action gets its own PendingIntent (Android compares intents without extras).
         */
        fun intentFor(context: Context, request: ActionRequest): Intent =
            Intent(context, ActionReceiver::class.java).setData(Uri.parse(request.toUri()))
    }
}
