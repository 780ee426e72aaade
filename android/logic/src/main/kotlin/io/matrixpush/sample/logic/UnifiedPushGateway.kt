package io.matrixpush.sample.logic

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.net.HttpURLConnection
import java.net.URI

/**
 * UnifiedPush gateway discovery (https://unifiedpush.org/developers/gateway/): which Matrix push
 * gateway the pusher of a UnifiedPush endpoint names. A distributor's server that is its own
 * gateway answers `GET <scheme://host[:port]>/_matrix/push/v1/notify` with
 * `{"unifiedpush":{"gateway":"matrix"}}`: then pushes go there; otherwise (or on any failure, or
 * past the deadline) through [FALLBACK_GATEWAY], the public gateway that forwards to any endpoint.
 *
 * TEMPORARY: the library is getting `discoverUnifiedPushGateway(endpoint, fallbackGateway,
 * deadlineMs)`; once the bindings have it, [discover] becomes that one call and the HTTP below goes.
 */
object UnifiedPushGateway {
    const val FALLBACK_GATEWAY = "https://matrix.gateway.unifiedpush.org/_matrix/push/v1/notify"
    private const val PATH = "/_matrix/push/v1/notify"

    /** The gateway URL for [endpoint]: its own server's when it says it is one, else [fallback]. */
    suspend fun discover(endpoint: String, fallback: String = FALLBACK_GATEWAY, deadlineMs: Long = 5_000): String {
        val candidate = candidateFor(endpoint) ?: return fallback
        val confirmed = withTimeoutOrNull(deadlineMs) {
            withContext(Dispatchers.IO) { runCatching { saysMatrixGateway(candidate, deadlineMs) }.getOrDefault(false) }
        }
        return if (confirmed == true) candidate else fallback
    }

    /** `<scheme://host[:port]>/_matrix/push/v1/notify` of an http(s) endpoint; null for anything else. */
    fun candidateFor(endpoint: String): String? {
        val uri = runCatching { URI(endpoint) }.getOrNull() ?: return null
        if (uri.scheme !in setOf("https", "http") || uri.host.isNullOrEmpty()) return null
        val port = if (uri.port == -1) "" else ":${uri.port}"
        return "${uri.scheme}://${uri.host}$port$PATH"
    }

    /** True when [body] is the discovery answer of a Matrix gateway. */
    fun isMatrixGatewayAnswer(body: String): Boolean = runCatching {
        Json.parseToJsonElement(body).jsonObject["unifiedpush"]!!.jsonObject["gateway"]!!.jsonPrimitive.content == "matrix"
    }.getOrDefault(false)

    private fun saysMatrixGateway(url: String, deadlineMs: Long): Boolean {
        val connection = URI(url).toURL().openConnection() as HttpURLConnection
        try {
            connection.connectTimeout = deadlineMs.toInt()
            connection.readTimeout = deadlineMs.toInt()
            connection.instanceFollowRedirects = false
            if (connection.responseCode != 200) return false
            // The answer is a few bytes; read at most 4 KiB of whatever the server sends.
            // (No InputStream.readNBytes: Android has it only from API 33.)
            val body = connection.inputStream.use { input ->
                val buffer = ByteArray(4096)
                var length = 0
                while (length < buffer.size) {
                    val read = input.read(buffer, length, buffer.size - length)
                    if (read < 0) break
                    length += read
                }
                String(buffer, 0, length, Charsets.UTF_8)
            }
            return isMatrixGatewayAnswer(body)
        } finally {
            connection.disconnect()
        }
    }
}
