package io.matrixpush.sample.work

import android.content.Context
import android.util.Log
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import io.matrixpush.MatrixPushException
import io.matrixpush.sample.SampleApp
import java.util.concurrent.TimeUnit

/**
 * Brings the homeserver's pusher in step with the device's push address (PushSetup.sync: set when
 * missing or different, moved when the address or its kind changed) and refreshes the push rules
 * the push path evaluates with. In WorkManager, not in the push services or Application.onCreate:
 * a push that cold-starts the app has seconds, and they are the push's. Unique work with a
 * network constraint, retried with backoff when the homeserver cannot be reached; also daily, so
 * a pusher the server dropped comes back even if the app is not opened.
 */
class PusherWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val accounts = (applicationContext as SampleApp).accounts
        val account = accounts.current ?: return Result.success()
        return try {
            accounts.syncPusher()
            Result.success()
        } catch (e: MatrixPushException) {
            accounts.onFailure(account, e, "checking the pusher")
            when (e) {
                is MatrixPushException.Network, is MatrixPushException.Timeout -> Result.retry()
                else -> Result.failure()
            }
        }
    }

    companion object {
        private const val NOW = "pusher-sync"
        private const val DAILY = "pusher-sync-daily"

        private val online = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

        /** Now (once online): replaces a queued run, so the newest address is the one registered. */
        fun enqueue(context: Context) {
            val work = WorkManager.getInstance(context)
            work.enqueueUniqueWork(
                NOW,
                ExistingWorkPolicy.REPLACE,
                OneTimeWorkRequestBuilder<PusherWorker>().setConstraints(online).build(),
            )
            work.enqueueUniquePeriodicWork(
                DAILY,
                ExistingPeriodicWorkPolicy.KEEP,
                PeriodicWorkRequestBuilder<PusherWorker>(1, TimeUnit.DAYS).setConstraints(online).build(),
            )
            Log.d("PusherWorker", "queued")
        }
    }
}
