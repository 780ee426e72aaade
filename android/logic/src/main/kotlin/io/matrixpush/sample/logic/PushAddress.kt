package io.matrixpush.sample.logic

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive

/**
 * How this device is reached. Each kind has a pusher app id of its own, because the push gateway
 * picks by app id what the pushkey is and how to send to it (see docs/android.md, "The gateway"):
 * - [FCM_TOKEN]: the legacy FCM registration token → FCM HTTP v1 `message.token`;
 * - [FCM_INSTALLATION]: the Firebase Installation ID (FID registration) → FCM HTTP v1 `message.fid`;
 * - [UNIFIED_PUSH]: a UnifiedPush endpoint URL → the Matrix UnifiedPush gateway POSTs the
 *   notification to it.
 */
enum class PushKind(private val appIdSuffix: String) {
    FCM_TOKEN(""),
    FCM_INSTALLATION(".fid"),
    UNIFIED_PUSH(".up");

    /** This kind's app id: [baseAppId] with the kind's suffix. */
    fun appId(baseAppId: String): String = baseAppId + appIdSuffix
}

/**
 * Where pushes for this device go: the pushkey its provider handed out and the gateway that
 * delivers to it (the app's FCM gateway, or the one discovered for a UnifiedPush endpoint).
 * One per device, shared by every account on it.
 */
data class PushAddress(val kind: PushKind, val pushkey: String, val gatewayUrl: String) {
    /** No pushkey in logs: an FCM token or a UnifiedPush endpoint lets anyone push to the device. */
    override fun toString(): String = "PushAddress($kind, pushkey=${redact(pushkey)}, gateway=$gatewayUrl)"

    fun encode(): String = JsonObject(
        mapOf("kind" to JsonPrimitive(kind.name), "pushkey" to JsonPrimitive(pushkey), "gateway" to JsonPrimitive(gatewayUrl)),
    ).toString()

    companion object {
        /** The stored form back; null when it is missing or not one this app wrote. */
        fun decode(text: String?): PushAddress? = text?.let {
            runCatching {
                val o = Json.parseToJsonElement(it).jsonObject
                PushAddress(
                    PushKind.valueOf(o["kind"]!!.jsonPrimitive.content),
                    o["pushkey"]!!.jsonPrimitive.content,
                    o["gateway"]!!.jsonPrimitive.content,
                )
            }.getOrNull()
        }
    }
}

/** The start and length of a pushkey, enough to tell two apart in a log. */
fun redact(pushkey: String): String = if (pushkey.length <= 8) "…" else pushkey.take(6) + "…(${pushkey.length})"
