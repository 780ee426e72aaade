package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

class PushTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `decodeFcm on a captured FCM v1 event_id_only payload`() {
        val file = Env.fixtures.resolve("payloads/fcm_v1-event_id_only-01-plain-dm.json")
        val fixture = Json.parseToJsonElement(Files.readString(file)).jsonObject
        val data = fixture["device_payload"]!!.jsonObject["data"]!!.jsonObject
            .mapValues { (_, v) -> v.jsonPrimitive.content }
        val notification = fixture["synapse_notify"]!!.jsonObject["notification"]!!.jsonObject

        val payload = decodeFcm(data)
        assertEquals(notification["event_id"]!!.jsonPrimitive.content, payload.eventId)
        assertEquals(notification["room_id"]!!.jsonPrimitive.content, payload.roomId)
        assertEquals(
            notification["counts"]!!.jsonObject["unread"]!!.jsonPrimitive.content.toULong(),
            payload.unread,
        )
        assertEquals(Priority.HIGH, payload.prio)
        assertEquals(Provider.FCM, payload.provider)
        assertEquals(false, payload.badgeOnly)
        // The pusher's default_payload key stays available to the app.
        assertTrue(payload.extraJson.contains("secret-123"), "extra: ${payload.extraJson}")
    }

    @Test
    fun `handlePush resolves a live DM message, and the same push again is a duplicate`() = runBlocking<Unit> {
        val alice = Synapse.register("alice", displayName = "Alice Kotlin")
        val bobRaw = Synapse.register("bob")   // the registration's device: joins the room
        val roomId = Synapse.createDm(alice, bobRaw)
        Synapse.join(bobRaw, roomId)
        val text = "Hello from Kotlin ${System.nanoTime()}"
        val eventId = Synapse.sendText(alice, roomId, text)

        harnessClient(dir).use { bob ->   // the phone: another device of Bob's
            bob.loginPassword(LoginIdentifier.User(bobRaw.localpart), bobRaw.password)
            // What FCM would hand the app for an event_id_only pusher.
            val payload = decodeFcm(
                mapOf("event_id" to eventId, "room_id" to roomId, "unread" to "1", "prio" to "high"),
            )
            val outcome = bob.handlePush(payload, 10_000uL)
            val show = assertInstanceOf(Outcome.Show::class.java, outcome, "outcome: $outcome")
            val n: PushNotification = show.notification
            assertEquals(eventId, n.eventId)
            assertEquals(roomId, n.roomId)
            assertEquals(text, n.body)
            assertEquals(alice.userId, n.senderId)
            assertTrue(n.isDm, "a DM: $n")
            assertTrue(n.isNoisy, "one-to-one rule makes a sound: $n")
            assertEquals(NotificationKind.Message("m.text"), n.kind)
            val aliceName = Synapse.displayName(alice.userId) ?: alice.userId
            assertEquals("Alice Kotlin", aliceName, "Synapse's profile")
            assertEquals(aliceName, n.roomName, "an unnamed DM is named after the other member")
            assertEquals(aliceName, n.senderName)
            assertEquals(1uL, n.unread)

            assertSame(Outcome.Duplicate, bob.handlePush(payload, 10_000uL), "the same push again")
        }
    }
}
