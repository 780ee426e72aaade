package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** Bad input comes back as a typed exception; the JVM (and the Rust side) keeps running. */
class HostileInputTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `deeply nested APNs JSON is InvalidPayload`() {
        val deep = "[".repeat(100_000)
        assertThrows<MatrixPushException.InvalidPayload> { decodeApns(deep) }
        val closed = "[".repeat(100_000) + "]".repeat(100_000)
        assertThrows<MatrixPushException.InvalidPayload> { decodeApns(closed) }
        val objects = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000)
        assertThrows<MatrixPushException.InvalidPayload> { decodeApns(objects) }
        // Still alive and answering.
        assertTrue(matrixPushVersion().isNotEmpty())
    }

    @Test
    fun `an empty FCM map is InvalidPayload`() {
        assertThrows<MatrixPushException.InvalidPayload> { decodeFcm(emptyMap()) }
    }

    @Test
    fun `other hostile payloads are typed errors`() {
        for (body in listOf("", "null", "not json", "\u0000", "{\"notification\": 5}", "\"\uD83D\uDE00\"")) {
            assertThrows<MatrixPushException.InvalidPayload>("gateway body ${body.take(20)}") { decodeGateway(body) }
        }
        assertThrows<MatrixPushException.InvalidPayload> { decodeUnifiedPush("[".repeat(50_000)) }
        // A huge value is accepted or rejected, never a crash.
        val huge = "x".repeat(5_000_000)
        runCatching { decodeFcm(mapOf("event_id" to huge, "room_id" to huge)) }
            .onFailure { assertTrue(it is MatrixPushException, "typed: $it") }
    }

    @Test
    fun `rules that are not JSON are InvalidInput`() {
        val error = assertThrows<MatrixPushException.InvalidInput> {
            evaluatePushRules("not json", "{}", RuleContext(userId = "@a:b"))
        }
        assertTrue(error.message.isNotEmpty())
        assertThrows<MatrixPushException.InvalidInput> {
            explainPushRules("{\"global\": {}}", "[".repeat(100_000), RuleContext(userId = "@a:b"), true)
        }
    }

    @Test
    fun `a homeserver URL that is not http is InvalidInput`() {
        assertThrows<MatrixPushException.InvalidInput> { Client("mailto:x", dir.toString(), null, null, null) }
        assertThrows<MatrixPushException.InvalidInput> { Client("not a url", dir.toString(), null, null, null) }
    }

    @Test
    fun `evaluation still works after all that`() {
        val rules = "{\"global\": {\"override\": [], \"content\": [], \"room\": [], \"sender\": [], \"underride\": []}}"
        val evaluation = evaluatePushRules(rules, "{\"type\": \"m.room.message\", \"content\": {\"body\": \"hi\"}}", RuleContext(userId = "@a:b"))
        assertEquals(false, evaluation.notify)
    }

    @Test
    fun `power levels cross as a record, decide who may notify the room, and actions come back typed`() {
        val rules = ROOM_NOTIFY_RULES
        val event = "{\"type\": \"m.room.message\", \"sender\": \"@boss:b\", \"content\": {\"body\": \"@room hi\"}}"
        val levels = PowerLevels(users = mapOf("@boss:b" to 50L), usersDefault = 0L, notifications = mapOf("room" to 50L))
        val allowed = evaluatePushRules(rules, event, RuleContext(userId = "@a:b", powerLevels = levels))
        assertEquals(true, allowed.highlight)
        assertEquals(".m.rule.roomnotif", allowed.ruleId)
        assertEquals(listOf(PushAction.Notify, PushAction.Highlight(null)), allowed.actions)
        val below = levels.copy(users = mapOf("@boss:b" to 49L))
        assertEquals(false, evaluatePushRules(rules, event, RuleContext(userId = "@a:b", powerLevels = below)).notify)
    }

    private companion object {
        const val ROOM_NOTIFY_RULES = """{"global": {"override": [{"rule_id": ".m.rule.roomnotif", "default": true, "enabled": true,
            "conditions": [{"kind": "event_match", "key": "content.body", "pattern": "@room"},
                           {"kind": "sender_notification_permission", "key": "room"}],
            "actions": ["notify", {"set_tweak": "highlight"}]}], "content": [], "room": [], "sender": [], "underride": []}}"""
    }
}
