package io.matrixpush.sample.work

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.util.Log
import androidx.core.app.NotificationCompat
import androidx.work.CoroutineWorker
import androidx.work.Data
import androidx.work.ForegroundInfo
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.OutOfQuotaPolicy
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import io.matrixpush.sample.R
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.PushInput
import io.matrixpush.sample.push.PushProcessor

/**
 * Resolves one push (PushProcessor: sync, decrypt, avatars, post) as expedited WorkManager work.
 *
 * Why not in the process's coroutine scope after the push service returns: FCM holds its wake lock
 * for a message only while onMessageReceived runs, and the UnifiedPush connector (3.1.2's
 * MessagingReceiver) takes one with a 10 s timeout and releases it as soon as it has passed the
 * message on; after that nothing keeps the CPU awake or the process from being frozen or killed
 * while the push is resolved (up to [io.matrixpush.sample.logic.PushHandler.DEFAULT_DEADLINE_MS]
 * of network). An expedited job is run by the system with its own wake lock and network access,
 * largely exempt from Doze and App Standby: on Android 12+ as an expedited JobScheduler job, on
 * Android 11 and older as a foreground service, which needs [getForegroundInfo]. Out of expedited
 * quota, the request runs as ordinary work (RUN_AS_NON_EXPEDITED_WORK_REQUEST): perhaps later, but
 * never dropped. No network constraint: offline, handlePush gives the generic notification
 * quickly, which is better than waiting for a network.
 *
 * The push travels as the request's input Data (PushInput.toFields: two strings), so it survives
 * the process dying before the work runs. FCM data and UnifiedPush messages are at most 4 KiB,
 * well under Data's 10 KiB; a push that does not fit anyway gets the generic notification at once.
 */
class PushWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val input = PushInput.fromFields(inputData::getString) ?: run {
            Log.e(TAG, "the work's input is not a push")
            return Result.failure()
        }
        PushProcessor(applicationContext as SampleApp).resolve(input)
        return Result.success()
    }

    /** Android 11 and older run expedited work as a foreground service: its notification. */
    override suspend fun getForegroundInfo(): ForegroundInfo = ForegroundInfo(NOTIFICATION_ID, notification(applicationContext))

    companion object {
        private const val TAG = "PushWorker"
        private const val CHANNEL_ID = "push_work"

        /** Untagged; the conversations' notifications all have tags, so it never replaces one. */
        private const val NOTIFICATION_ID = 2

        /**
         * Queues [input] and returns at once (WorkManager writes the request on its own thread):
         * safe on FCM's thread and on the main thread.
         */
        fun enqueue(context: Context, input: PushInput) {
            val data = try {
                Data.Builder().apply { input.toFields().forEach { (key, value) -> putString(key, value) } }.build()
            } catch (e: IllegalStateException) {
                Log.w(TAG, "the push does not fit a work request (${e.message}): the generic notification")
                PushProcessor(context.applicationContext as SampleApp).showGeneric(input)
                return
            }
            val request = OneTimeWorkRequestBuilder<PushWorker>()
                .setInputData(data)
                .setExpedited(OutOfQuotaPolicy.RUN_AS_NON_EXPEDITED_WORK_REQUEST)
                .build()
            WorkManager.getInstance(context).enqueue(request)
        }

        private fun notification(context: Context): Notification {
            // Low importance: a foreground service's notification cannot be hidden below that.
            context.getSystemService(NotificationManager::class.java).createNotificationChannel(
                NotificationChannel(CHANNEL_ID, context.getString(R.string.push_work_channel), NotificationManager.IMPORTANCE_LOW),
            )
            return NotificationCompat.Builder(context, CHANNEL_ID)
                .setSmallIcon(android.R.drawable.stat_notify_sync)
                .setContentTitle(context.getString(R.string.push_work_title))
                .build()
        }
    }
}
