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

class PushSetupLiveTest {
    @TempDir
    lateinit var dir: Path

    private val clients = mutableListOf<Client>()

    @AfterEach
    fun closeClients() = clients.forEach { it.close() }

    // Synapse accepts the pusher; delivery to this closed port just fails in the background.
    private val config = PushConfig(
        gatewayUrl = "http://127.0.0.1:9/_matrix/push/v1/notify",
        deviceDisplayName = "Pixel (logic tests)",
    )

    @Test
    fun `ensure on start and rotate on a new token leave exactly one pusher, with the account routing secret`() = runBlocking<Unit> {
        val user = Synapse.register("pushsetup")
        val client = signedInClient(dir, user).also { clients += it }
        val store = MemoryKeyValueStore()
        val setup = PushSetup(client, store, config)

        assertEquals(PushRegistration.Ensured("token-1", EnsureOutcome.CREATED), setup.onAppStart("token-1"))
        assertEquals(PushRegistration.Ensured("token-1", EnsureOutcome.UNCHANGED), setup.onAppStart("token-1"))

        assertEquals(PushRegistration.Rotated("token-1", "token-2"), setup.onNewToken("token-2"))
        val pushers = client.pushers()
        assertEquals(listOf("token-2"), pushers.map { it.pushkey }, "only the new token's pusher: $pushers")
        val pusher = pushers.single()
        assertEquals(PushConfig.APP_ID, pusher.appId)
        assertEquals("io.matrixpush.sample.android", pusher.appId)
        assertEquals("event_id_only", pusher.format)
        assertEquals(config.gatewayUrl, pusher.gatewayUrl)
        assertEquals("Pixel (logic tests)", pusher.deviceDisplayName)
        val secret = assertPresent(setup.routingSecret(), "a routing secret once signed in")
        val defaultPayload = Json.parseToJsonElement(pusher.defaultPayloadJson!!).jsonObject
        assertEquals(secret, defaultPayload["cs"]!!.jsonPrimitive.content)

        // The next start (a new process): the token comes from the store; nothing to change.
        val restarted = PushSetup(client, store, config)
        assertEquals(PushRegistration.Ensured("token-2", EnsureOutcome.UNCHANGED), restarted.onAppStart(null))
        assertEquals(secret, restarted.routingSecret(), "the secret is kept per account")
        assertEquals(1, client.pushers().size)

        // The secret the gateway copies into every push routes it back to this account.
        val push = decodeFcm(mapOf("event_id" to "\$e", "room_id" to "!r:x", "unread" to "1", "cs" to secret))
        val route = AccountRoute(user.userId, secret)
        assertEquals(route, PushRouting.route(push, listOf(AccountRoute("@other:x", "other-secret"), route)))

        setup.onSignOut()
        assertEquals(emptyList<Any>(), client.pushers(), "sign-out removes the pusher")
        assertNull(store.get(PushSetup.registeredKey(user.userId)))
    }

    @Test
    fun `a rotation that failed is redone on the next start`() = runBlocking<Unit> {
        val user = Synapse.register("missedrotation")
        val client = signedInClient(dir, user).also { clients += it }
        val store = MemoryKeyValueStore()
        PushSetup(client, store, config).onAppStart("old-token")

        // onNewToken never reached the server (say, no network); FCM now reports the new token.
        val outcome = PushSetup(client, store, config).onAppStart("new-token")
        assertEquals(PushRegistration.Rotated("old-token", "new-token"), outcome)
        assertEquals(listOf("new-token"), client.pushers().map { it.pushkey })
    }

    @Test
    fun `a token that arrives before sign-in is registered by the first start after it`() = runBlocking<Unit> {
        val user = Synapse.register("early")
        val store = MemoryKeyValueStore()
        val client = harnessClient(dir, MemorySessionStore()).also { clients += it }
        val setup = PushSetup(client, store, config)
        assertEquals(PushRegistration.NoToken, setup.onAppStart(null))
        assertEquals(PushRegistration.NotSignedIn, setup.onNewToken("early-token"))
        assertNull(setup.routingSecret())

        client.loginPassword(io.matrixpush.core.LoginIdentifier.User(user.localpart), user.password)
        assertEquals(PushRegistration.Ensured("early-token", EnsureOutcome.CREATED), setup.onAppStart(null))
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
