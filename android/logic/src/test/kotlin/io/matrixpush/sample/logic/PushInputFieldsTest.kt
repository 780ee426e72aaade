package io.matrixpush.sample.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** A push through the string fields the app hands WorkManager (PushWorker's input Data) and back. */
class PushInputFieldsTest {
    @Test
    fun `an FCM data map comes back as it went, quotes and non-ASCII included`() {
        val data = mapOf(
            "event_id" to "\$ev:x", "room_id" to "!room:example.org", "unread" to "2", "prio" to "high",
            "cs" to "a\"b\\c", "room_name" to "Café ☕ \uD83D\uDE00",
        )
        val fields = PushInput.Fcm(data).toFields()
        assertEquals(setOf(PushInput.KIND, PushInput.PAYLOAD), fields.keys)
        assertEquals(PushInput.Fcm(data), PushInput.fromFields(fields::get))
    }

    @Test
    fun `a UnifiedPush body comes back byte for byte`() {
        val body = """{"notification": {"event_id": "${'$'}e", "room_id": "!r:x", "counts": {"unread": 1}}}"""
        val back = PushInput.fromFields(PushInput.UnifiedPush(body).toFields()::get)
        assertTrue(back is PushInput.UnifiedPush)
        assertEquals(body, (back as PushInput.UnifiedPush).body)
    }

    @Test
    fun `fields that are not a push read as null`() {
        assertNull(PushInput.fromFields(emptyMap<String, String>()::get))
        assertNull(PushInput.fromFields(mapOf(PushInput.KIND to "fcm")::get), "no payload")
        assertNull(PushInput.fromFields(mapOf(PushInput.KIND to "apns", PushInput.PAYLOAD to "{}")::get), "an unknown kind")
        assertNull(PushInput.fromFields(mapOf(PushInput.KIND to "fcm", PushInput.PAYLOAD to "not json")::get))
        assertNull(PushInput.fromFields(mapOf(PushInput.KIND to "fcm", PushInput.PAYLOAD to "[1]")::get), "not an object")
    }
}
