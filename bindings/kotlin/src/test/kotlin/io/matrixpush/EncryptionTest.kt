package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonObject
import kotlinx.serialization.json.putJsonArray
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * The built-in encryption from Kotlin (`Client(…, encryption = true)`, a library built with the
 * `e2ee` feature): signing in makes the device a full E2EE device whose keys other users find,
 * and pushes are still resolved with it on. (Real Megolm messages are sent and decrypted in the
 * Rust suite `tests/tests/e2ee.rs`, whose sender is a crypto client of the same crates.)
 */
class EncryptionTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `signing in with encryption publishes the device's keys, and pushes resolve`() = runBlocking<Unit> {
        val alice = Synapse.register("encalice", displayName = "Alice Enc")
        val bob = Synapse.register("encbob")
        val roomId = Synapse.createDm(alice, bob)
        Synapse.join(bob, roomId)

        Client(Env.synapseUrl, dir.toString(), MemorySessionStore(), "encryption tests", null, encryption = true).use { phone ->
            val session = phone.loginPassword(LoginIdentifier.User(bob.userId), bob.password)
            val query = Synapse.request("POST", "/_matrix/client/v3/keys/query", buildJsonObject {
                putJsonObject("device_keys") { putJsonArray(bob.userId) {} }
            }, alice.accessToken)
            val device = query["device_keys"]!!.jsonObject[bob.userId]!!.jsonObject[session.deviceId]?.jsonObject
            assertNotNull(device, "Alice finds the phone's device keys: $query")
            val keys = device!!["keys"]!!.jsonObject
            assertNotNull(keys["curve25519:${session.deviceId}"], "identity key: $keys")
            assertNotNull(keys["ed25519:${session.deviceId}"], "signing key: $keys")
            val claimed = Synapse.request("POST", "/_matrix/client/v3/keys/claim", buildJsonObject {
                putJsonObject("one_time_keys") { putJsonObject(bob.userId) { put(session.deviceId, "signed_curve25519") } }
            }, alice.accessToken)
            assertNotNull(
                claimed["one_time_keys"]?.jsonObject?.get(bob.userId)?.jsonObject?.get(session.deviceId),
                "a one-time key can be claimed: $claimed",
            )

            val eventId = Synapse.sendText(alice, roomId, "plain text, encryption on")
            val payload = decodeFcm(mapOf("event_id" to eventId, "room_id" to roomId, "prio" to "high"))
            val show = assertInstanceOf(Outcome.Show::class.java, phone.handlePush(payload, 10_000uL))
            assertEquals("plain text, encryption on", show.notification.body)
        }
    }
}
