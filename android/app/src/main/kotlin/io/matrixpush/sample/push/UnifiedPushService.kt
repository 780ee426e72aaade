package io.matrixpush.sample.push

import android.util.Log
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.PushAddress
import io.matrixpush.sample.logic.PushInput
import io.matrixpush.sample.logic.PushKind
import io.matrixpush.sample.logic.UnifiedPushGateway
import io.matrixpush.sample.work.PushWorker
import io.matrixpush.sample.work.PusherWorker
import kotlinx.coroutines.launch
import org.unifiedpush.android.connector.FailedReason
import org.unifiedpush.android.connector.PushService
import org.unifiedpush.android.connector.data.PushEndpoint
import org.unifiedpush.android.connector.data.PushMessage

/**
 * UnifiedPush's entry points (connector 3.x: the distributor's events reach this bound service,
 * on the main thread). Each returns at once: a push is queued as expedited work (PushWorker); the
 * gateway discovery for a new endpoint runs in the process's scope (bounded at 5 s).
 */
class UnifiedPushService : PushService() {
    private val app get() = application as SampleApp

    /**
     * The distributor's endpoint for this app: the pushkey of a pusher whose gateway is found by
     * UnifiedPush gateway discovery (the endpoint's own server, when it is a Matrix gateway,
     * else the public matrix.gateway.unifiedpush.org).
     */
    override fun onNewEndpoint(endpoint: PushEndpoint, instance: String) {
        val url = endpoint.url
        app.appScope.launch {
            val gateway = UnifiedPushGateway.discover(url, UnifiedPushGateway.FALLBACK_GATEWAY, DISCOVERY_MS)
            app.accounts.rememberAddress(PushAddress(PushKind.UNIFIED_PUSH, url, gateway))
            PusherWorker.enqueue(app)
        }
    }

    /** A push: the Push Gateway body the Matrix gateway forwarded (not encrypted: no VAPID/keys use here). */
    override fun onMessage(message: PushMessage, instance: String) {
        // Queued, not resolved here: the connector releases its wake lock once the message is
        // passed on (PushWorker says why expedited work).
        PushWorker.enqueue(this, PushInput.UnifiedPush(message.content.toString(Charsets.UTF_8)))
    }

    override fun onRegistrationFailed(reason: FailedReason, instance: String) {
        Log.w(TAG, "UnifiedPush registration failed: $reason")
    }

    /** The distributor dropped this app (uninstalled, or the user unlinked it). */
    override fun onUnregistered(instance: String) {
        val address = app.accounts.address()?.takeIf { it.kind == PushKind.UNIFIED_PUSH } ?: return
        app.appScope.launch { app.accounts.onAddressRemoved(PushKind.UNIFIED_PUSH, address.pushkey) }
    }

    private companion object {
        const val TAG = "UnifiedPushService"
        const val DISCOVERY_MS = 5_000L
    }
}
