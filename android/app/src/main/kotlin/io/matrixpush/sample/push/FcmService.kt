package io.matrixpush.sample.push

import android.util.Log
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage
import io.matrixpush.sample.BuildConfig
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.PushAddress
import io.matrixpush.sample.logic.PushInput
import io.matrixpush.sample.logic.PushKind
import io.matrixpush.sample.logic.Transport
import io.matrixpush.sample.work.PushWorker
import io.matrixpush.sample.work.PusherWorker
import kotlinx.coroutines.launch
import org.json.JSONObject

/**
 * FCM's entry points. Each returns promptly: a push is queued as expedited work (PushWorker), a new
 * address is saved at once and registered with the homeserver by PusherWorker.
 * - tokens (the default build): onNewToken;
 * - Firebase Installation IDs (-Pmatrixpush.fcmRegistration=fid): onRegistered / onUnregistered.
 */
class FcmService : FirebaseMessagingService() {
    private val app get() = application as SampleApp

    /** A data message (the pusher's `event_id_only` payload from Sygnal). */
    override fun onMessageReceived(message: RemoteMessage) {
        if (BuildConfig.DEBUG) {
            // For `matrix-push decode --provider fcm` (docs/android.md, "Check that it works").
            Log.d(TAG, "push data: ${JSONObject(message.data as Map<*, *>)}")
        }
        // Queued, not resolved here: FCM delivers one message at a time on this thread, and its
        // wake lock ends when this returns (PushWorker says why expedited work).
        PushWorker.enqueue(this, PushInput.Fcm(message.data))
    }

    /** Token builds: FCM handed out a new registration token. */
    override fun onNewToken(token: String) {
        if (!BuildConfig.FCM_INSTALLATION_ID) onAddress(PushAddress(PushKind.FCM_TOKEN, token, BuildConfig.PUSH_GATEWAY_URL))
    }

    /** FID builds: registered (after register(), at install, or when the FID changed). */
    override fun onRegistered(installationId: String) {
        onAddress(PushAddress(PushKind.FCM_INSTALLATION, installationId, BuildConfig.PUSH_GATEWAY_URL))
    }

    /** FID builds: FCM no longer delivers to this FID. */
    override fun onUnregistered(installationId: String) {
        app.appScope.launch { app.accounts.onAddressRemoved(PushKind.FCM_INSTALLATION, installationId) }
    }

    /** Kept only while FCM is the transport: a token refresh must not pull a UnifiedPush user back. */
    private fun onAddress(address: PushAddress) {
        if (app.transports.current() !is Transport.Fcm) return
        app.accounts.rememberAddress(address)
        PusherWorker.enqueue(this)
    }

    private companion object {
        const val TAG = "FcmService"
    }
}
