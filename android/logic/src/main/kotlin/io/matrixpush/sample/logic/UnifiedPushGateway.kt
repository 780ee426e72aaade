package io.matrixpush.sample.logic

import io.matrixpush.MatrixPushException
import io.matrixpush.discoverUnifiedPushGateway

/**
 * UnifiedPush gateway discovery (https://unifiedpush.org/developers/gateway/): which Matrix push
 * gateway the pusher of a UnifiedPush endpoint names. The library asks the endpoint's push server
 * (`GET <scheme://host[:port]>/_matrix/push/v1/notify`); when it answers
 * `{"unifiedpush":{"gateway":"matrix"}}` pushes go there, otherwise (or past the deadline) through
 * [FALLBACK_GATEWAY], the public gateway that forwards to any endpoint.
 */
object UnifiedPushGateway {
    const val FALLBACK_GATEWAY = "https://matrix.gateway.unifiedpush.org/_matrix/push/v1/notify"

    /** The gateway URL for [endpoint]; [fallback] also when the endpoint is not a URL. */
    suspend fun discover(endpoint: String, fallback: String = FALLBACK_GATEWAY, deadlineMs: Long = 5_000): String = try {
        discoverUnifiedPushGateway(endpoint, fallback, deadlineMs.toULong())
    } catch (e: MatrixPushException) {
        fallback
    }
}
