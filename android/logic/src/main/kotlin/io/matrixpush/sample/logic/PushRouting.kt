package io.matrixpush.sample.logic

import io.matrixpush.PushPayload
import io.matrixpush.routePush

/** One signed-in account as far as routing a push goes. */
data class AccountRoute(
    val accountId: String,
    /** The account's routing secret (its pusher's `default_payload.cs`). */
    val secret: String?,
    val pushkey: String? = null,
    val appId: String? = null,
)

/**
 * Which account a push is for: the library's `routePush` (the core's `payload::route`), on the
 * keys the gateway merged into the push (`PushPayload.extraJson`):
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
        // The library answers with the chosen route's fields; the position in the list is the
        // key back to the app's own route (two routes may share an account id).
        val libraryRoutes = routes.mapIndexed { index, route ->
            io.matrixpush.core.AccountRoute(
                account = index.toString(),
                secret = route.secret,
                appId = route.appId,
                pushkey = route.pushkey,
            )
        }
        val chosen = routePush(payload, libraryRoutes) ?: return null
        return chosen.account.toIntOrNull()?.let(routes::getOrNull)
    }
}
