package io.matrixpush.sample.logic

import io.matrixpush.ClientInterface
import io.matrixpush.core.EnsureOutcome
import io.matrixpush.Pusher
import java.security.SecureRandom
import java.util.Base64

/** What the pusher of this app looks like (all but the token and the routing secret). */
data class PushConfig(
    /** The push gateway (Sygnal), ending in `/_matrix/push/v1/notify`. */
    val gatewayUrl: String,
    /** The device's name in the user's session list, e.g. `Build.MODEL`. */
    val deviceDisplayName: String,
    /** Must match the `apps:` key of the gateway's config. */
    val appId: String = APP_ID,
    val appDisplayName: String = "matrix-push sample",
    val lang: String = "en",
) {
    companion object {
        /** The app id of the sample's FCM pusher (the gateway's `apps:` key). */
        const val APP_ID = "io.matrixpush.sample.android"

        /** The pusher format: the push carries ids only; the phone fetches the event itself. */
        const val FORMAT = "event_id_only"
    }
}

/** What [PushSetup] did. */
sealed interface PushRegistration {
    /** The pusher was checked (and set when missing or different). */
    data class Ensured(val token: String, val outcome: EnsureOutcome) : PushRegistration

    /** The account moved from [oldToken] to [newToken]; the old pusher is gone. */
    data class Rotated(val oldToken: String, val newToken: String) : PushRegistration

    /** FCM has not handed out a token yet: nothing to register. */
    data object NoToken : PushRegistration

    /** No account is signed in: the token is kept for when one is. */
    data object NotSignedIn : PushRegistration
}

/**
 * Keeps the homeserver's pusher for this device in step with the FCM token:
 * - [onAppStart] on every start (Application.onCreate) and after sign-in: `ensurePusher`, which
 *   sets the pusher only when it is missing or different, so a pusher the server dropped comes back;
 * - [onNewToken] from `FirebaseMessagingService.onNewToken`: `rotatePusher(old, new)`, so the old
 *   token's pusher does not linger.
 *
 * The token each account's pusher was registered with is remembered per account, so a rotation
 * that failed (no network in `onNewToken`) is redone by the next [onAppStart]. Each account gets a
 * random routing secret, sent in every push as `cs` (see [PushRouting]).
 *
 * Errors from the homeserver are thrown as `MatrixPushException` (nothing is remembered then).
 */
class PushSetup(
    private val client: ClientInterface,
    private val store: KeyValueStore,
    private val config: PushConfig,
    private val newSecret: () -> String = ::randomRoutingSecret,
) {
    /** [onAppStart] with the token FCM handed out, or the last one seen when [currentToken] is null. */
    suspend fun onAppStart(currentToken: String?): PushRegistration {
        if (currentToken != null) store.put(KEY_FCM_TOKEN, currentToken)
        val token = currentToken ?: store.get(KEY_FCM_TOKEN) ?: return PushRegistration.NoToken
        val account = client.session()?.userId ?: return PushRegistration.NotSignedIn
        val registered = store.get(registeredKey(account))
        val pusher = pusherFor(account, token)
        val result = if (registered != null && registered != token) {
            client.rotatePusher(config.appId, registered, pusher)
            PushRegistration.Rotated(registered, token)
        } else {
            PushRegistration.Ensured(token, client.ensurePusher(pusher))
        }
        store.put(registeredKey(account), token)
        return result
    }

    /** FCM handed out a new token: move the signed-in account's pusher to it. */
    suspend fun onNewToken(token: String): PushRegistration = onAppStart(token)

    /**
     * Before signing out: removes this device's pusher and forgets the account's push state.
     * (Synapse also deletes a device's pushers when it logs out; this covers other servers.)
     */
    suspend fun onSignOut() {
        val account = client.session()?.userId ?: return
        store.get(registeredKey(account))?.let { client.removePusher(config.appId, it) }
        store.put(registeredKey(account), null)
        store.put(secretKey(account), null)
    }

    /** The signed-in account's routing secret (created on first use), or null when signed out. */
    fun routingSecret(): String? = client.session()?.userId?.let(::secretFor)

    /** The pusher for [token] of the signed-in account. */
    fun pusher(token: String): Pusher? = client.session()?.userId?.let { pusherFor(it, token) }

    private fun pusherFor(account: String, token: String) = Pusher(
        pushkey = token,
        appId = config.appId,
        appDisplayName = config.appDisplayName,
        deviceDisplayName = config.deviceDisplayName,
        profileTag = null,
        lang = config.lang,
        gatewayUrl = config.gatewayUrl,
        format = PushConfig.FORMAT,
        // The secret is URL-safe base64: no JSON escaping needed.
        defaultPayloadJson = """{"${PushRouting.SECRET_KEY}":"${secretFor(account)}"}""",
    )

    @Synchronized
    private fun secretFor(account: String): String =
        store.get(secretKey(account)) ?: newSecret().also { store.put(secretKey(account), it) }

    companion object {
        const val KEY_FCM_TOKEN = "fcm_token"
        fun registeredKey(account: String) = "pusher_token:$account"
        fun secretKey(account: String) = "routing_secret:$account"
    }
}

/** 16 random bytes, URL-safe base64 without padding (22 characters: short, for 4 KiB payloads). */
fun randomRoutingSecret(): String {
    val bytes = ByteArray(16).also { SecureRandom().nextBytes(it) }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)
}
