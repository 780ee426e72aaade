package io.matrixpush.sample.logic

import io.matrixpush.Client
import io.matrixpush.core.FallbackNotification
import io.matrixpush.core.NotificationKind
import io.matrixpush.core.Outcome
import io.matrixpush.core.PushNotification
import io.matrixpush.core.SuppressReason
import io.matrixpush.core.UndecryptableReason
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** The mapping alone, on hand-made outcomes (the live tests map real ones). */
class NotificationMapperTest {
    private val mapper = NotificationMapper(appName = "Sample")
    private val me = "@bob:example.org"

    private fun notification(
        eventId: String = "\$e1",
        roomId: String = "!room:example.org",
        isDm: Boolean = false,
        isNoisy: Boolean = false,
        highlight: Boolean = false,
        kind: NotificationKind = NotificationKind.Message("m.text"),
        body: String = "hello",
        avatar: String? = "mxc://example.org/alice",
        roomAvatar: String? = null,
        undecryptable: UndecryptableReason? = null,
    ) = PushNotification(
        eventId = eventId, roomId = roomId, roomName = "Ops", isDm = isDm,
        senderId = "@alice:example.org", senderName = "Alice", senderAvatarUrl = avatar, roomAvatarUrl = roomAvatar, kind = kind,
        body = body, threadId = null, isNoisy = isNoisy, sound = if (isNoisy) "default" else null,
        highlight = highlight, timestampMs = 1_700_000_000_000uL, unread = 3uL, ruleId = ".m.rule.message",
        undecryptable = undecryptable,
    )

    @Test
    fun `channels follow highlight first, then sound, and are per account in the account's group`() {
        assertEquals(Channel.MENTIONS, mapper.channelFor(notification(highlight = true, isNoisy = true)))
        assertEquals(Channel.MENTIONS, mapper.channelFor(notification(highlight = true, isNoisy = false)))
        assertEquals(Channel.NOISY, mapper.channelFor(notification(isNoisy = true)))
        assertEquals(Channel.SILENT, mapper.channelFor(notification()))
        val ids = listOf(me, "@carol:example.org").flatMap { account -> Channel.entries.map { it.idFor(account) } }
        assertEquals(6, ids.toSet().size, "distinct channel ids per account: $ids")
        assertNotEquals(Channel.groupIdFor(me), Channel.groupIdFor("@carol:example.org"))
    }

    @Test
    fun `a room message is titled by the room, a DM by the sender whose avatar is the icon`() {
        val room = mapper.show(me, notification())
        assertEquals("Ops", room.title)
        assertEquals("Ops", room.conversationTitle)
        assertTrue(room.isGroupConversation)
        assertNull(room.iconAvatarUrl, "a room without an avatar has no person's face either")
        assertEquals(listOf("mxc://example.org/alice"), room.avatarUrls, "the sender's, for the line")
        val pictured = mapper.show(me, notification(roomAvatar = "mxc://example.org/ops"))
        assertEquals("mxc://example.org/ops", pictured.iconAvatarUrl, "a room's icon is its avatar")
        assertEquals(listOf("mxc://example.org/ops", "mxc://example.org/alice"), pictured.avatarUrls, "icon first")
        assertEquals(
            "mxc://example.org/alice",
            mapper.show(me, notification(isDm = true, roomAvatar = "mxc://example.org/dm")).iconAvatarUrl,
            "a DM's icon is the other person",
        )
        val dm = mapper.show(me, notification(isDm = true))
        assertEquals("Alice", dm.title)
        assertNull(dm.conversationTitle)
        assertFalse(dm.isGroupConversation)
        assertEquals("mxc://example.org/alice", dm.iconAvatarUrl)
        assertEquals(
            MessageLine("@alice:example.org", "Alice", "hello", 1_700_000_000_000L, "mxc://example.org/alice"),
            dm.message,
        )
        assertEquals(3L, dm.unread)
    }

    @Test
    fun `one notification per conversation, with a shortcut, in the account's group`() {
        val a = mapper.show(me, notification(eventId = "\$a"))
        val b = mapper.show(me, notification(eventId = "\$b"))
        assertEquals(a.tag to a.id, b.tag to b.id, "the second message replaces the room's notification")
        assertEquals(NotificationContent.CONVERSATION_ID, a.id)
        assertEquals(a.shortcutId, b.shortcutId)
        assertEquals(NotificationMapper.groupKeyFor(me), a.groupKey)
        val other = mapper.show(me, notification(roomId = "!other:example.org"))
        assertNotEquals(a.tag, other.tag)
        assertNotEquals(a.shortcutId, other.shortcutId)
        assertEquals(a.groupKey, other.groupKey, "one group per account")
        val carol = mapper.show("@carol:example.org", notification())
        assertNotEquals(a.tag, carol.tag, "the same room in another account is another conversation")
        assertNotEquals(a.groupKey, carol.groupKey)
        assertNotEquals(NotificationMapper.summaryTagFor(me), a.tag)
        val ids = (0 until 10_000).map { NotificationMapper.idFor("\$event$it") }
        assertTrue(ids.none { it == NotificationContent.SUMMARY_ID || it == NotificationContent.CONVERSATION_ID })
    }

    @Test
    fun `lines accumulate per room, newest last, capped, without repeating a replaced line`() {
        var lines = emptyList<MessageLine>()
        repeat(NotificationContent.MAX_LINES + 3) { i ->
            val content = mapper.show(me, notification(eventId = "\$e$i", body = "message $i"), lines)
            assertEquals("message $i", content.lines.last().text)
            assertEquals(content.message, content.lines.last())
            // Read back from the posted notification, lines have no avatar URL.
            lines = content.lines.map { it.copy(senderAvatarUrl = null) }
        }
        assertEquals(NotificationContent.MAX_LINES, lines.size)
        assertEquals("message 3", lines.first().text)
        val again = mapper.show(me, notification(eventId = "\$e10", body = "message 10"), lines)
        assertEquals(lines.map { it.text }, again.lines.map { it.text }, "the same event again replaces its line")
    }

    @Test
    fun `messages offer mark as read, invites accept and decline`() {
        assertEquals(listOf(ActionKind.MARK_READ), mapper.show(me, notification()).actions)
        val invite = mapper.show(me, notification(kind = NotificationKind.Invite("@alice:example.org")))
        assertEquals(Category.INVITE, invite.category)
        assertEquals(listOf(ActionKind.ACCEPT, ActionKind.DECLINE), invite.actions)
    }

    @Test
    fun `categories follow the kind`() {
        assertEquals(Category.CALL, mapper.show(me, notification(kind = NotificationKind.Call(video = true))).category)
        assertEquals(Category.MESSAGE, mapper.show(me, notification(kind = NotificationKind.Encrypted)).category)
        assertEquals(Category.OTHER, mapper.show(me, notification(kind = NotificationKind.Other("m.poll.start"))).category)
    }

    @Test
    fun `an encrypted message says why it stayed encrypted under its line, other messages say nothing more`() {
        val unverified = mapper.show(
            me,
            notification(
                kind = NotificationKind.Encrypted, body = "Encrypted message",
                undecryptable = UndecryptableReason.MissingRoomKey("m.unverified"),
            ),
        )
        assertEquals("Encrypted message", unverified.message.text)
        assertEquals("Verify this device to read it — Settings › Recover", unverified.hint)
        assertNull(mapper.show(me, notification(kind = NotificationKind.Encrypted)).hint, "no reason given: no line")
        assertNull(
            mapper.show(me, notification(undecryptable = UndecryptableReason.OutOfTime)).hint,
            "only an encrypted notification gets the line",
        )
    }

    @Test
    fun `suppressed and duplicate pushes show nothing, badge and dismiss cancel the account's conversations`() {
        assertInstanceOf(NotificationAction.Ignore::class.java, mapper.map(me, Outcome.Suppressed(SuppressReason.OwnEvent, false)))
        assertInstanceOf(NotificationAction.Ignore::class.java, mapper.map(me, Outcome.Duplicate))
        assertEquals(
            NotificationAction.Cancel(me, listOf("$me/!a:x", "$me/!b:x"), 2L),
            mapper.map(me, Outcome.BadgeUpdate(2uL, listOf("!a:x", "!b:x"))),
        )
        assertEquals(NotificationAction.Cancel(me, listOf("$me/!a:x"), null), mapper.map(me, Outcome.Dismiss(listOf("!a:x"))))
    }

    @Test
    fun `a fallback is a generic, noisy notification, and in a room that room's conversation`() {
        val bare = mapper.fallback(me, FallbackNotification(null, null, null, "New message", 4uL, "offline"))
        assertTrue(bare.isFallback)
        assertEquals("Sample", bare.title)
        assertEquals("New message", bare.message.text)
        assertEquals(Channel.NOISY, bare.channel)
        assertNull(bare.shortcutId)
        assertEquals(emptyList<ActionKind>(), bare.actions, "nothing to mark read without a room")
        assertEquals(4L, bare.unread)
        val inRoom = mapper.fallback(me, FallbackNotification("\$e", "!r:x", "Ops", "Encrypted message", null, "offline"))
        assertEquals(NotificationMapper.conversationTagFor(me, "!r:x"), inRoom.tag)
        assertEquals(NotificationContent.CONVERSATION_ID, inRoom.id)
        assertEquals(listOf(ActionKind.MARK_READ), inRoom.actions)
    }

    @Test
    fun `a push not handled in time shows the generic notification, a badge push nothing`(@TempDir dir: Path) {
        // A real client that is never asked anything: the timeout path needs no network.
        val client = Client("https://unused.example.org", dir.toString(), null, null, null)
        val handler = PushHandler(accounts = { listOf(PushAccount(client, AccountRoute(me, secret = null))) }, mapper = mapper)
        fun timeout(data: Map<String, String>) = handler.onTimeout(PushInput.Fcm(data))
        val content = assertInstanceOf(
            NotificationAction.Post::class.java,
            timeout(mapOf("event_id" to "\$e", "room_id" to "!r:x", "unread" to "2", "prio" to "high")),
        ).content
        assertTrue(content.isFallback)
        assertEquals("Sample", content.title)
        assertEquals("New message", content.message.text)
        assertEquals(NotificationMapper.conversationTagFor(me, "!r:x"), content.tag)

        val encrypted = timeout(mapOf("event_id" to "\$f", "room_id" to "!r:x", "type" to "m.room.encrypted", "room_name" to "Ops"))
        val generic = assertInstanceOf(NotificationAction.Post::class.java, encrypted).content
        assertEquals("Ops", generic.title)
        assertEquals("Encrypted message", generic.message.text)

        // The library's fallback, not a copy of it: a reply's quoted fallback is left out.
        val reply = timeout(
            mapOf("event_id" to "\$g", "room_id" to "!r:x", "type" to "m.room.message",
                "content_body" to "> <@a:x> the question\n\nthe answer"),
        )
        assertEquals("the answer", assertInstanceOf(NotificationAction.Post::class.java, reply).content.message.text)

        assertInstanceOf(NotificationAction.Ignore::class.java, timeout(mapOf("sender" to "", "unread" to "1")))
        assertInstanceOf(NotificationAction.Ignore::class.java, timeout(mapOf("nothing" to "here")))
        val nobody = PushHandler(accounts = { emptyList() }, mapper = mapper)
        assertEquals(
            NotificationAction.Ignore(PushHandler.NO_ACCOUNT),
            nobody.onTimeout(PushInput.Fcm(mapOf("event_id" to "\$e", "room_id" to "!r:x"))),
        )
        client.close()
    }
}
