package io.matrixpush.sample.logic

import io.matrixpush.testing.*

import io.matrixpush.core.FallbackNotification
import io.matrixpush.core.NotificationKind
import io.matrixpush.core.Outcome
import io.matrixpush.core.PushNotification
import io.matrixpush.core.SuppressReason
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The mapping alone, on hand-made outcomes (the live tests map real ones). */
class NotificationMapperTest {
    private val mapper = NotificationMapper(appName = "Sample")

    private fun notification(
        eventId: String = "\$e1",
        isDm: Boolean = false,
        isNoisy: Boolean = false,
        highlight: Boolean = false,
        kind: NotificationKind = NotificationKind.Message("m.text"),
        body: String = "hello",
    ) = PushNotification(
        eventId = eventId, roomId = "!room:example.org", roomName = "Ops", isDm = isDm,
        senderId = "@alice:example.org", senderName = "Alice", senderAvatarUrl = null, roomAvatarUrl = null, kind = kind,
        body = body, threadId = null, isNoisy = isNoisy, sound = if (isNoisy) "default" else null,
        highlight = highlight, timestampMs = 1_700_000_000_000uL, unread = 3uL, ruleId = ".m.rule.message",
    )

    @Test
    fun `channels follow highlight first, then sound`() {
        assertEquals(Channel.MENTIONS, mapper.channelFor(notification(highlight = true, isNoisy = true)))
        assertEquals(Channel.MENTIONS, mapper.channelFor(notification(highlight = true, isNoisy = false)))
        assertEquals(Channel.NOISY, mapper.channelFor(notification(isNoisy = true)))
        assertEquals(Channel.SILENT, mapper.channelFor(notification()))
        assertEquals(3, Channel.entries.map { it.id }.toSet().size, "distinct channel ids")
    }

    @Test
    fun `a room message is titled by the room, a DM by the sender`() {
        val room = mapper.show(notification())
        assertEquals("Ops", room.title)
        assertEquals("Ops", room.conversationTitle)
        assertTrue(room.isGroupConversation)
        val dm = mapper.show(notification(isDm = true))
        assertEquals("Alice", dm.title)
        assertNull(dm.conversationTitle)
        assertFalse(dm.isGroupConversation)
        assertEquals(MessageLine("@alice:example.org", "Alice", "hello", 1_700_000_000_000L), dm.message)
        assertEquals(3L, dm.unread)
    }

    @Test
    fun `lines accumulate per room, newest last, capped, without repeating a replaced line`() {
        var lines = emptyList<MessageLine>()
        repeat(NotificationContent.MAX_LINES + 3) { i ->
            val content = mapper.show(notification(eventId = "\$e$i", body = "message $i"), lines)
            assertEquals("message $i", content.lines.last().text)
            assertEquals(content.message, content.lines.last())
            lines = content.lines
        }
        assertEquals(NotificationContent.MAX_LINES, lines.size)
        assertEquals("message 3", lines.first().text)
        val again = mapper.show(notification(eventId = "\$e10", body = "message 10"), lines)
        assertEquals(lines, again.lines, "the same event again replaces its line")
    }

    @Test
    fun `ids are per event and never the summary's, tags and groups per room`() {
        val a = mapper.show(notification(eventId = "\$a"))
        val b = mapper.show(notification(eventId = "\$b"))
        assertNotEquals(a.id, b.id)
        assertEquals(a.tag, b.tag)
        assertEquals(a.groupKey, b.groupKey)
        assertEquals("!room:example.org", a.tag)
        val ids = (0 until 10_000).map { NotificationMapper.idFor("\$event$it") }
        assertFalse(NotificationContent.SUMMARY_ID in ids)
        assertTrue(ids.all { it > 0 })
    }

    @Test
    fun `categories follow the kind`() {
        assertEquals(Category.CALL, mapper.show(notification(kind = NotificationKind.Call(video = true))).category)
        assertEquals(Category.INVITE, mapper.show(notification(kind = NotificationKind.Invite("@a:x"))).category)
        assertEquals(Category.MESSAGE, mapper.show(notification(kind = NotificationKind.Encrypted)).category)
        assertEquals(Category.OTHER, mapper.show(notification(kind = NotificationKind.Other("m.poll.start"))).category)
    }

    @Test
    fun `suppressed and duplicate pushes show nothing, badge and dismiss cancel rooms`() {
        assertInstanceOf(NotificationAction.Ignore::class.java, mapper.map(Outcome.Suppressed(SuppressReason.OwnEvent, false)))
        assertInstanceOf(NotificationAction.Ignore::class.java, mapper.map(Outcome.Duplicate))
        assertEquals(
            NotificationAction.Cancel(listOf("!a:x", "!b:x"), 2L),
            mapper.map(Outcome.BadgeUpdate(2uL, listOf("!a:x", "!b:x"))),
        )
        assertEquals(NotificationAction.Cancel(listOf("!a:x"), null), mapper.map(Outcome.Dismiss(listOf("!a:x"))))
    }

    @Test
    fun `a fallback without room or title is a generic, noisy notification`() {
        val action = mapper.map(Outcome.Fallback(FallbackNotification(null, null, null, "New message", 4uL, "offline")))
        val content = assertInstanceOf(NotificationAction.Post::class.java, action).content
        assertTrue(content.isFallback)
        assertEquals("Sample", content.title)
        assertEquals("New message", content.message.text)
        assertEquals(Channel.NOISY, content.channel)
        assertEquals(NotificationContent.NO_ROOM_TAG, content.tag)
        assertEquals(4L, content.unread)
    }

    @Test
    fun `a push not handled in time shows the generic notification, a badge push nothing`() {
        val handler = PushHandler(accounts = { emptyList() }, mapper = mapper)
        val action = handler.onTimeout(mapOf("event_id" to "\$e", "room_id" to "!r:x", "unread" to "2", "prio" to "high"))
        val content = assertInstanceOf(NotificationAction.Post::class.java, action).content
        assertTrue(content.isFallback)
        assertEquals("Sample", content.title)
        assertEquals("New message", content.message.text)
        assertEquals("!r:x", content.tag)
        assertEquals(NotificationMapper.idFor("\$e"), content.id)

        val encrypted = handler.onTimeout(
            mapOf("event_id" to "\$f", "room_id" to "!r:x", "type" to "m.room.encrypted", "room_name" to "Ops"),
        )
        val generic = assertInstanceOf(NotificationAction.Post::class.java, encrypted).content
        assertEquals("Ops", generic.title)
        assertEquals("Encrypted message", generic.message.text)

        // The library's fallback, not a copy of it: a reply's quoted fallback is left out.
        val reply = handler.onTimeout(
            mapOf("event_id" to "\$g", "room_id" to "!r:x", "type" to "m.room.message",
                "content_body" to "> <@a:x> the question\n\nthe answer"),
        )
        assertEquals("the answer", assertInstanceOf(NotificationAction.Post::class.java, reply).content.message.text)

        assertInstanceOf(NotificationAction.Ignore::class.java, handler.onTimeout(mapOf("sender" to "", "unread" to "1")))
        assertInstanceOf(NotificationAction.Ignore::class.java, handler.onTimeout(mapOf("nothing" to "here")))
    }
}
