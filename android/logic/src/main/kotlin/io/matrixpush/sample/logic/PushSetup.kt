package io.matrixpush.sample.logic

import io.matrixpush.ClientInterface
import io.matrixpush.Pusher
import io.matrixpush.core.EnsureOutcome
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import java.security.SecureRandom
import java.util.Base64

/** What the pushers of this app look like (all but the pushkey, its gateway and the routing secret). */
data class PushConfig(
    /** The app's push gateway for FCM (Sygnal), ending in `/_matrix/push/v1/notify`. */
    val fcmGatewayUrl: String,
    /** The device's name in the user's session list, e.g. `Build.MODEL`. */
    val deviceDisplayName: String,
    /** The app ids are this plus a suffix per [PushKind]; each must be an `apps:` key of the gateway. */
    val baseAppId: String = BASE_APP_ID,
    val appDisplayName: String = "matrix-push sample",
    val lang: String = "en",
) {
    companion object {
        /** The sample's app id for FCM tokens; `.fid` and `.up` are appended for the other kinds. */
        const val BASE_APP_ID = "io.matrixpush.sample.android"

        /** The pusher format: the push carries ids only; the phone fetches the event itself. */
        const val FORMAT = "event_id_only"
    }
}

/** A pusher as the homeserver keys it. */
data class RegisteredPusher(val appId: String, val pushkey: String) {
    override fun toString(): String = "RegisteredPusher($appId, ${redact(pushkey)})"
}

/** What [PushSetup] did. */
sealed interface PushRegistration {
    /** The pusher was checked, and set when missing or different. */
    data class Ensured(val pusher: RegisteredPusher, val outcome: EnsureOutcome) : PushRegistration

    /** The account's pusher moved to a new pushkey or kind: the new one is set, the old one gone. */
    data class Moved(val from: RegisteredPusher, val to: RegisteredPusher) : PushRegistration

    /** The push provider has not handed out an address yet: nothing to register. */
    data object NoAddress : PushRegistration

    /** No account is signed in: the address is kept for when one is. */
    data object NotSignedIn : PushRegistration
}

/**
 * Keeps the homeserver's pusher for this device in step with the device's [PushAddress]:
 * - [onNewAddress] when the provider hands one out (`onNewToken`, `onRegistered`, a UnifiedPush
 *   `onNewEndpoint`, or a switch of transport): remembers it and moves the pusher to it;
 * - [sync] after sign-in and from the app's background work: sets the pusher again when the
 *   server dropped it, and redoes a move that failed (no network when the address changed);
 * - [onAddressRemoved] when the provider takes the address back;
 * - [onSignOut].
 *
 * Per account it remembers the app id AND pushkey its pusher was registered with, so a move
 * across kinds (token → FID, FCM → UnifiedPush) removes the old pusher under its OLD app id,
 * after the new one is set (pushes never stop). Each account also gets a random routing secret,
 * sent in every push as `cs` (see [PushRouting]).
 *
 * Errors from the homeserver are thrown as `MatrixPushException`; nothing is remembered then, so
 * the next [sync] tries again.
 */
class PushSetup(
    private val client: ClientInterface,
    private val store: KeyValueStore,
    private val config: PushConfig,
    private val newSecret: () -> String = ::randomRoutingSecret,
) {
    /** One change at a time: a new token and the background check may arrive together. */
    private val mutex = Mutex()

    /** The device's address, remembered by [onNewAddress]; null before the provider handed one out. */
    fun address(): PushAddress? = loadAddress(store)

    /** The provider handed out [address]: remember it and move the signed-in account's pusher to it. */
    suspend fun onNewAddress(address: PushAddress): PushRegistration {
        saveAddress(store, address)
        return sync()
    }

    /** Makes the server's pusher for the signed-in account match the device's address. */
    suspend fun sync(): PushRegistration = mutex.withLock {
        val address = address() ?: return PushRegistration.NoAddress
        val account = client.session()?.userId ?: return PushRegistration.NotSignedIn
        val pusher = pusherFor(account, address)
        val wanted = RegisteredPusher(pusher.appId, pusher.pushkey)
        val registered = registeredFor(account)
        val result = if (registered != null && registered != wanted) {
            move(registered, pusher)
            PushRegistration.Moved(registered, wanted)
        } else {
            PushRegistration.Ensured(wanted, client.ensurePusher(pusher))
        }
        store.put(registeredKey(account), encode(wanted))
        result
    }

    /**
     * The provider took the address back (FID `onUnregistered`, UnifiedPush `onUnregistered`):
     * forget it and remove the pusher registered with it.
     */
    suspend fun onAddressRemoved(kind: PushKind, pushkey: String) = mutex.withLock {
        val gone = RegisteredPusher(kind.appId(config.baseAppId), pushkey)
        if (address()?.let { it.kind == kind && it.pushkey == pushkey } == true) store.put(KEY_ADDRESS, null)
        val account = client.session()?.userId ?: return@withLock
        if (registeredFor(account) == gone) {
            client.removePusher(gone.appId, gone.pushkey)
            store.put(registeredKey(account), null)
        }
    }

    /**
     * Before signing out: removes this device's pusher and forgets the account's push state.
     * (Synapse also deletes a device's pushers when it logs out; this covers other servers.)
     */
    suspend fun onSignOut() = mutex.withLock {
        val account = client.session()?.userId ?: return@withLock
        registeredFor(account)?.let { client.removePusher(it.appId, it.pushkey) }
        store.put(registeredKey(account), null)
        store.put(secretKey(account), null)
    }

    /** The pusher the signed-in account has registered, as remembered here; null when none. */
    fun registered(): RegisteredPusher? = client.session()?.userId?.let(::registeredFor)

    /** The signed-in account's routing secret (created on first use), or null when signed out. */
    fun routingSecret(): String? = client.session()?.userId?.let(::secretFor)

    /**
     * Sets [pusher], then removes [old] under its own app id (which differs from the new one when
     * the kind changed: token → FID, FCM → UnifiedPush), so pushes never stop.
     */
    private suspend fun move(old: RegisteredPusher, pusher: Pusher) = client.rotatePusher(old.appId, old.pushkey, pusher)

    private fun pusherFor(account: String, address: PushAddress) = Pusher(
        pushkey = address.pushkey,
        appId = address.kind.appId(config.baseAppId),
        appDisplayName = config.appDisplayName,
        deviceDisplayName = config.deviceDisplayName,
        profileTag = null,
        lang = config.lang,
        gatewayUrl = address.gatewayUrl,
        format = PushConfig.FORMAT,
        // The secret is URL-safe base64: no JSON escaping needed.
        defaultPayloadJson = """{"${PushRouting.SECRET_KEY}":"${secretFor(account)}"}""",
    )

    private fun registeredFor(account: String): RegisteredPusher? =
        store.get(registeredKey(account))?.split('\n', limit = 2)?.takeIf { it.size == 2 }
            ?.let { (appId, pushkey) -> RegisteredPusher(appId, pushkey) }

    private fun encode(pusher: RegisteredPusher) = "${pusher.appId}\n${pusher.pushkey}"

    @Synchronized
    private fun secretFor(account: String): String =
        store.get(secretKey(account)) ?: newSecret().also { store.put(secretKey(account), it) }

    companion object {
        const val KEY_ADDRESS = "push_address"
        fun registeredKey(account: String) = "pusher:$account"
        fun secretKey(account: String) = "routing_secret:$account"

        /** The device's address, for every account (also before any is signed in). */
        fun saveAddress(store: KeyValueStore, address: PushAddress) = store.put(KEY_ADDRESS, address.encode())

        fun loadAddress(store: KeyValueStore): PushAddress? = PushAddress.decode(store.get(KEY_ADDRESS))
    }
}

/** 16 random bytes, URL-safe base64 without padding (22 characters: short, for 4 KiB payloads). */
fun randomRoutingSecret(): String {
    val bytes = ByteArray(16).also { SecureRandom().nextBytes(it) }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)
}
