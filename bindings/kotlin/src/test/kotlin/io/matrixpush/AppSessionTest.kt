package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicInteger

/**
 * `Client.forAppSession`: matrix-push on the session of the app's own Matrix SDK, with a Kotlin
 * TokenProvider (a suspend refresh) and a Kotlin EventDecryptor (a suspend decrypt), against the
 * harness Synapse. (The "ciphertext" here is the cleartext JSON: this checks the foreign async
 * plumbing; real Megolm is covered with the built-in crypto.)
 */
class AppSessionTest {
    @TempDir
    lateinit var dir: Path

    /** Hands out a stale token first, then the app's real one when asked to refresh. */
    private class AppTokens(private val real: String) : TokenProvider {
        val refreshRequests = AtomicInteger()
        @Volatile private var current = "stale-token-from-before-a-refresh"

        override fun accessToken(): String? = current

        override suspend fun refreshedAccessToken(failedToken: String): String? {
            refreshRequests.incrementAndGet()
            delay(10)   // the app's SDK talking to its server
            current = real
            return real
        }
    }

    private object PlainDecryptor : EventDecryptor {
        override suspend fun decrypt(roomId: String, eventJson: String, timeLeftMs: ULong): String? {
            check(timeLeftMs in 1uL..10_000uL) { "time left: $timeLeftMs" }
            delay(10)   // a key fetch
            val event = Json.parseToJsonElement(eventJson).jsonObject
            val ciphertext = event["content"]?.jsonObject?.get("ciphertext")?.jsonPrimitive?.content ?: return null
            val clear = Json.parseToJsonElement(ciphertext).jsonObject
            return JsonObject(event + mapOf("type" to clear["type"]!!, "content" to clear["content"]!!)).toString()
        }
    }

    @Test
    fun `a client on the app's session refreshes through the app and decrypts with the app's crypto`() = runBlocking<Unit> {
        val alice = Synapse.register("appalice", displayName = "Alice App")
        val bob = Synapse.register("appbob")   // the app's own SDK signed in this device
        val bobDevice = Synapse.request("GET", "/_matrix/client/v3/account/whoami", token = bob.accessToken)["device_id"]!!
            .jsonPrimitive.content
        val roomId = Synapse.createDm(alice, bob)
        Synapse.join(bob, roomId)
        val clear = buildJsonObject {
            put("type", "m.room.message")
            put("content", buildJsonObject {
                put("msgtype", "m.text")
                put("body", "secret for ${bob.userId}")
            })
        }
        val eventId = Synapse.request(
            "PUT",
            "/_matrix/client/v3/rooms/${java.net.URLEncoder.encode(roomId, "UTF-8")}/send/m.room.encrypted/kt${System.nanoTime()}",
            buildJsonObject {
                put("algorithm", "m.megolm.v1.aes-sha2")
                put("sender_key", "k")
                put("session_id", "s")
                put("device_id", "D")
                put("ciphertext", clear.toString())
            },
            alice.accessToken,
        )["event_id"]!!.jsonPrimitive.content

        val tokens = AppTokens(bob.accessToken)
        Client.forAppSession(Env.synapseUrl, bob.userId, bobDevice, tokens, dir.toString(), PlainDecryptor).use { push ->
            assertEquals(bob.userId to bobDevice, push.session()?.let { it.userId to it.deviceId }, "the app's device, signed in as built")
            val payload = decodeFcm(mapOf("event_id" to eventId, "room_id" to roomId, "prio" to "high"))
            val show = assertInstanceOf(Outcome.Show::class.java, push.handlePush(payload, 10_000uL))
            assertEquals("secret for ${bob.userId}", show.notification.body)
            assertTrue(show.notification.highlight, "the rules judged the cleartext (display-name mention)")
            assertEquals(1, tokens.refreshRequests.get(), "the stale token was refreshed by the app, once")
            assertEquals(bob.userId, push.whoami())
            assertThrows<MatrixPushException.InvalidInput> { runBlocking { push.logout() } }
        }
    }
}
