package io.matrixpush.sample.logic

import io.matrixpush.testing.*

import io.matrixpush.Client
import io.matrixpush.core.EnsureOutcome
import io.matrixpush.decodeFcm
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** PushSetup against the harness Synapse: the server's pushers after each step. */
class PushSetupLiveTest {
    @TempDir
    lateinit var dir: Path

    private val clients = mutableListOf<Client>()

    @AfterEach
    fun closeClients() = clients.forEach { it.close() }

    // Synapse accepts these pushers; delivery to this closed loopback port just fails in the background.
    private val gateway = "http://127.0.0.1:9/_matrix/push/v1/notify"
    private val config = PushConfig(fcmGatewayUrl = gateway, deviceDisplayName = "Pixel (logic tests)")

    private fun token(value: String) = PushAddress(PushKind.FCM_TOKEN, value, gateway)
    private fun fid(value: String) = PushAddress(PushKind.FCM_INSTALLATION, value, gateway)
    private fun endpoint(value: String) = PushAddress(PushKind.UNIFIED_PUSH, value, gateway)

    private suspend fun Client.pusherKeys() = pushers().map { RegisteredPusher(it.appId, it.pushkey) }

    @Test
    fun `token, then FID, then UnifiedPush leave exactly one pusher each time, with the kind's app id`() = runBlocking<Unit> {
        val user = Synapse.register("kinds")
        val client = signedInClient(dir, user).also { clients += it }
        val store = MemoryKeyValueStore()
        val setup = PushSetup(client, store, config)
        val tokenPusher = RegisteredPusher("io.matrixpush.sample.android", "token-1")
        val fidPusher = RegisteredPusher("io.matrixpush.sample.android.fid", "fid-1")
        val upPusher = RegisteredPusher("io.matrixpush.sample.android.up", "https://ntfy.example.org/upAbC123?up=1")

        assertEquals(PushRegistration.Ensured(tokenPusher, EnsureOutcome.CREATED), setup.onNewAddress(token("token-1")))
        assertEquals(PushRegistration.Ensured(tokenPusher, EnsureOutcome.UNCHANGED), setup.sync())
        assertEquals(listOf(tokenPusher), client.pusherKeys())

        // The build switched to FID registration: the token's pusher goes, under its own app id.
        assertEquals(PushRegistration.Moved(tokenPusher, fidPusher), setup.onNewAddress(fid("fid-1")))
        assertEquals(listOf(fidPusher), client.pusherKeys())

        // The phone lost Google services: UnifiedPush, its endpoint URL as the pushkey.
        assertEquals(PushRegistration.Moved(fidPusher, upPusher), setup.onNewAddress(endpoint(upPusher.pushkey)))
        assertEquals(listOf(upPusher), client.pusherKeys())
        val pusher = client.pushers().single()
        assertEquals("event_id_only", pusher.format)
        assertEquals(gateway, pusher.gatewayUrl)
        assertEquals("Pixel (logic tests)", pusher.deviceDisplayName)
        val secret = assertPresent(setup.routingSecret(), "a routing secret once signed in")
        assertEquals(secret, Json.parseToJsonElement(pusher.defaultPayloadJson!!).jsonObject["cs"]!!.jsonPrimitive.content)

        // Back to a token; and a new token within the kind (rotatePusher).
        assertEquals(PushRegistration.Moved(upPusher, tokenPusher), setup.onNewAddress(token("token-1")))
        val token2 = tokenPusher.copy(pushkey = "token-2")
        assertEquals(PushRegistration.Moved(tokenPusher, token2), setup.onNewAddress(token("token-2")))
        assertEquals(listOf(token2), client.pusherKeys())

        // The next start (a new process): everything from the store; nothing to change.
        val restarted = PushSetup(client, store, config)
        assertEquals(PushRegistration.Ensured(token2, EnsureOutcome.UNCHANGED), restarted.sync())
        assertEquals(secret, restarted.routingSecret(), "the secret is kept per account")

        // The secret the gateway copies into every push routes it back to this account.
        val push = decodeFcm(mapOf("event_id" to "\$e", "room_id" to "!r:x", "unread" to "1", "cs" to secret))
        val route = AccountRoute(user.userId, secret)
        assertEquals(route, PushRouting.route(push, listOf(AccountRoute("@other:x", "other-secret"), route)))

        setup.onSignOut()
        assertEquals(emptyList<Any>(), client.pushers(), "sign-out removes the pusher")
        assertNull(setup.registered())
    }

    @Test
    fun `a move that never reached the server is redone by the next sync`() = runBlocking<Unit> {
        val user = Synapse.register("missedmove")
        val client = signedInClient(dir, user).also { clients += it }
        val store = MemoryKeyValueStore()
        PushSetup(client, store, config).onNewAddress(token("old-token"))

        // onRegistered saved the FID, then the process died before the homeserver heard of it.
        PushSetup.saveAddress(store, fid("new-fid"))
        val outcome = PushSetup(client, store, config).sync()
        assertEquals(
            PushRegistration.Moved(RegisteredPusher(PushConfig.BASE_APP_ID, "old-token"), RegisteredPusher("${PushConfig.BASE_APP_ID}.fid", "new-fid")),
            outcome,
        )
        assertEquals(listOf(RegisteredPusher("${PushConfig.BASE_APP_ID}.fid", "new-fid")), client.pusherKeys())
    }

    @Test
    fun `an address removed by its provider takes its pusher along, and no other`() = runBlocking<Unit> {
        val user = Synapse.register("unregistered")
        val client = signedInClient(dir, user).also { clients += it }
        val store = MemoryKeyValueStore()
        val setup = PushSetup(client, store, config)
        setup.onNewAddress(endpoint("https://up.example.org/abc"))

        setup.onAddressRemoved(PushKind.UNIFIED_PUSH, "https://up.example.org/other")
        assertEquals(1, client.pushers().size, "another endpoint's removal leaves this pusher")
        setup.onAddressRemoved(PushKind.UNIFIED_PUSH, "https://up.example.org/abc")
        assertEquals(emptyList<Any>(), client.pushers())
        assertNull(setup.address())
        assertEquals(PushRegistration.NoAddress, setup.sync())
    }

    @Test
    fun `an address that arrives before sign-in is registered by the first sync after it`() = runBlocking<Unit> {
        val user = Synapse.register("early")
        val store = MemoryKeyValueStore()
        val client = harnessClient(dir, MemorySessionStore()).also { clients += it }
        val setup = PushSetup(client, store, config)
        assertEquals(PushRegistration.NoAddress, setup.sync())
        assertEquals(PushRegistration.NotSignedIn, setup.onNewAddress(token("early-token")))
        assertNull(setup.routingSecret())

        client.loginPassword(io.matrixpush.core.LoginIdentifier.User(user.localpart), user.password)
        assertEquals(
            PushRegistration.Ensured(RegisteredPusher(PushConfig.BASE_APP_ID, "early-token"), EnsureOutcome.CREATED),
            setup.sync(),
        )
        assertEquals(listOf("early-token"), client.pushers().map { it.pushkey })
    }

    @Test
    fun `each account gets its own routing secret`() = runBlocking<Unit> {
        val store = MemoryKeyValueStore()
        val secrets = listOf("acct1", "acct2").map { label ->
            val user = Synapse.register(label)
            val client = signedInClient(dir.resolve(label), user).also { clients += it }
            PushSetup(client, store, config).routingSecret()!!
        }
        assertNotEquals(secrets[0], secrets[1])
        secrets.forEach { assertEquals(22, it.length, "16 random bytes, base64url: $it") }
    }
}
