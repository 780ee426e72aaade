package io.matrixpush.sample.logic

import io.matrixpush.PushPayload
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive

/** One signed-in account as far as routing a push goes. */
data class AccountRoute(
    val accountId: String,
    /** The account's routing secret (its pusher's `default_payload.cs`). */
    val secret: String?,
    val pushkey: String? = null,
    val appId: String? = null,
)

/**
 * Which account a push is for: the same choice as the core's `payload::route` (not exported
 * through the FFI), on the keys the gateway merged into the push (`PushPayload.extraJson`):
 * 1. the route whose secret equals the push's `cs`;
 * 2. else, with exactly one route, that one — unless both carry a secret and they differ (a push
 *    for a pusher the app no longer knows, e.g. an account that signed out);
 * 3. else, among routes that contradict the push in none of secret, pushkey and app id, the only
 *    one with the push's `pushkey`, else the only one with its `app_id`;
 * 4. else none.
 */
object PushRouting {
    /** The key of the routing secret in the pusher's `default_payload`. */
    const val SECRET_KEY = "cs"

    fun route(payload: PushPayload, routes: List<AccountRoute>): AccountRoute? {
        val extra = extraStrings(payload.extraJson)
        val secret = extra[SECRET_KEY]
        val pushkey = extra["pushkey"]
        val appId = extra["app_id"]
        fun agree(ours: String?, theirs: String?) = ours == null || theirs == null || ours == theirs

        if (secret != null) routes.firstOrNull { it.secret == secret }?.let { return it }
        routes.singleOrNull()?.let { only -> return only.takeIf { agree(it.secret, secret) } }
        val eligible = routes.filter { agree(it.secret, secret) && agree(it.pushkey, pushkey) && agree(it.appId, appId) }
        fun theOne(wanted: String?, field: (AccountRoute) -> String?): AccountRoute? =
            wanted?.let { w -> eligible.filter { field(it) == w }.singleOrNull() }
        return theOne(pushkey) { it.pushkey } ?: theOne(appId) { it.appId }
    }

    /** The non-empty string values of the payload's extra keys. */
    fun extraStrings(extraJson: String): Map<String, String> {
        val obj = runCatching { Json.parseToJsonElement(extraJson) as? JsonObject }.getOrNull() ?: return emptyMap()
        return obj.mapNotNull { (key, value) ->
            (value as? JsonPrimitive)?.takeIf { it.isString && it.content.isNotEmpty() }?.let { key to it.content }
        }.toMap()
    }
}
