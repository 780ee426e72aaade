package io.matrixpush.sample.logic

import io.matrixpush.testing.*

import io.matrixpush.Client
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * The push path of the app, end to end short of Android: real messages on the harness Synapse,
 * the FCM data map an event_id_only pusher gets, the real library resolving it, and the mapping
 * to what the app would post or cancel.
 */
class PushHandlerLiveTest {
    @TempDir
    lateinit var dir: Path

    private val clients = mutableListOf<Client>()

    @AfterEach
    fun closeClients() = clients.forEach { it.close() }

    /** Bob's phone: one signed-in account, routed without a secret (the pushes carry none here). */
    private suspend fun phoneOf(user: TestUser): Pair<Client, PushHandler> {
        val client = signedInClient(dir.resolve(user.localpart), user).also { clients += it }
        val handler = PushHandler(
            accounts = { listOf(PushAccount(client, AccountRoute(user.userId, secret = null))) },
            mapper = NotificationMapper(appName = "Sample"),
        )
        return client to handler
    }

    /** What FCM hands the app for an event_id_only pusher (Sygnal, FCM v1: strings only). */
    private fun fcmData(eventId: String, roomId: String, unread: Int = 1, extra: Map<String, String> = emptyMap()) =
        mapOf("event_id" to eventId, "room_id" to roomId, "unread" to unread.toString(), "prio" to "high") + extra

    private fun post(action: NotificationAction): NotificationContent =
        assertInstanceOf(NotificationAction.Post::class.java, action, "action: $action").content

    @Test
    fun `a DM message is noisy, titled by the sender, grouped by room, and lines accumulate`() = runBlocking<Unit> {
        val alice = Synapse.register("alice", displayName = "Alice Android")
        val bobRaw = Synapse.register("bob")
        val roomId = Synapse.createDm(alice, bobRaw)
        Synapse.join(bobRaw, roomId)
        val first = Synapse.sendText(alice, roomId, "Are you there?")
        val second = Synapse.sendText(alice, roomId, "Lunch at noon")
        val (_, phone) = phoneOf(bobRaw)

        val one = post(phone.handleFcm(fcmData(first, roomId)))
        assertEquals(Channel.NOISY, one.channel, "one-to-one rooms make a sound: $one")
        assertEquals("Alice Android", one.title)
        assertFalse(one.isGroupConversation)
        assertFalse(one.isFallback)
        assertEquals(Category.MESSAGE, one.category)
        assertEquals(roomId, one.tag)
        assertEquals(NotificationMapper.groupKeyFor(roomId), one.groupKey)
        assertEquals(NotificationMapper.idFor(first), one.id)
        assertEquals(MessageLine(alice.userId, "Alice Android", "Are you there?", one.message.timestampMs), one.message)
        assertTrue(one.message.timestampMs > 0)

        // The app hands back the lines of the room's summary notification.
        val two = post(phone.handleFcm(fcmData(second, roomId, unread = 2)) { room ->
            if (room == roomId) one.lines else emptyList()
        })
        assertEquals(one.groupKey, two.groupKey)
        assertEquals(one.tag, two.tag)
        assertEquals(NotificationMapper.idFor(second), two.id)
        assertEquals(listOf("Are you there?", "Lunch at noon"), two.lines.map { it.text })
        assertEquals(listOf("Alice Android", "Alice Android"), two.lines.map { it.senderName })
        assertEquals(2L, two.unread)

        // FCM may deliver the same message twice.
        val again = phone.handleFcm(fcmData(second, roomId, unread = 2))
        assertEquals(NotificationAction.Ignore("duplicate"), again)
    }

    @Test
    fun `in a group room a plain message is silent and a mention goes to the mentions channel`() = runBlocking<Unit> {
        val alice = Synapse.register("alice", displayName = "Alice")
        val bobRaw = Synapse.register("bob", displayName = "Bob")
        val carol = Synapse.register("carol")
        val roomId = Synapse.createGroup(alice, "Ops room", bobRaw, carol)
        Synapse.join(bobRaw, roomId)
        Synapse.join(carol, roomId)
        val plain = Synapse.sendText(alice, roomId, "deploy finished")
        val mention = Synapse.sendMention(alice, roomId, bobRaw, "Bob: can you check the logs?")
        val (_, phone) = phoneOf(bobRaw)

        val silent = post(phone.handleFcm(fcmData(plain, roomId)))
        assertEquals(Channel.SILENT, silent.channel, "the .m.rule.message default has no sound: $silent")
        assertEquals("Ops room", silent.title)
        assertEquals("Ops room", silent.conversationTitle)
        assertTrue(silent.isGroupConversation)
        assertEquals("Alice", silent.message.senderName)

        val highlighted = post(phone.handleFcm(fcmData(mention, roomId, unread = 2)))
        assertEquals(Channel.MENTIONS, highlighted.channel, "a mention highlights: $highlighted")
        assertEquals("Ops room", highlighted.title)
        assertEquals("Bob: can you check the logs?", highlighted.message.text)
        assertEquals(silent.groupKey, highlighted.groupKey, "one group per room")
    }

    @Test
    fun `a badge push after the room was read elsewhere cancels that room's notifications`() = runBlocking<Unit> {
        val alice = Synapse.register("alice")
        val bobRaw = Synapse.register("bob")
        val roomId = Synapse.createDm(alice, bobRaw)
        Synapse.join(bobRaw, roomId)
        val eventId = Synapse.sendText(alice, roomId, "read me elsewhere")
        val (_, phone) = phoneOf(bobRaw)
        post(phone.handleFcm(fcmData(eventId, roomId)))   // shown: the library remembers the room

        Synapse.readUpTo(bobRaw, roomId, eventId)        // Bob reads it on another device
        Synapse.waitUntil("the room is read") { Synapse.notificationCount(bobRaw, roomId) == 0L }

        // Synapse's badge push through Sygnal to FCM: no event id, an empty sender.
        val action = phone.handleFcm(mapOf("sender" to "", "prio" to "high", "unread" to "1"))
        assertEquals(NotificationAction.Cancel(listOf(NotificationMapper.tagFor(roomId)), 1L), action)
    }

    @Test
    fun `a push for a room already read elsewhere is a dismissal`() = runBlocking<Unit> {
        val alice = Synapse.register("alice")
        val bobRaw = Synapse.register("bob")
        val roomId = Synapse.createDm(alice, bobRaw)
        Synapse.join(bobRaw, roomId)
        val eventId = Synapse.sendText(alice, roomId, "already seen")
        Synapse.readUpTo(bobRaw, roomId, eventId)
        Synapse.waitUntil("the room is read") { Synapse.notificationCount(bobRaw, roomId) == 0L }
        val (_, phone) = phoneOf(bobRaw)

        val action = phone.handleFcm(fcmData(eventId, roomId))
        assertEquals(NotificationAction.Cancel(listOf(roomId), null), action)
    }

    @Test
    fun `a push that cannot be resolved becomes the generic notification, never nothing`() = runBlocking<Unit> {
        val bobRaw = Synapse.register("bob")
        val (_, phone) = phoneOf(bobRaw)
        val roomId = "!nowhere:${Env.serverName}"

        val bare = post(phone.handleFcm(fcmData("\$missing1", roomId, unread = 5)))
        assertTrue(bare.isFallback, "$bare")
        assertEquals("Sample", bare.title, "no name in an event_id_only push: the app's name")
        assertEquals("New message", bare.message.text)
        assertEquals(Channel.NOISY, bare.channel)
        assertEquals(roomId, bare.tag)
        assertEquals(NotificationMapper.idFor("\$missing1"), bare.id)
        assertEquals(5L, bare.unread)

        // A full-format push (Sygnal FCM v1 flattens content to content_<key>) names room and body.
        val full = post(
            phone.handleFcm(
                fcmData(
                    "\$missing2", roomId,
                    extra = mapOf(
                        "type" to "m.room.message", "sender" to "@alice:${Env.serverName}",
                        "room_name" to "Ops room", "content_msgtype" to "m.text", "content_body" to "server is down",
                    ),
                ),
            ),
        )
        assertTrue(full.isFallback)
        assertEquals("Ops room", full.title)
        assertEquals("server is down", full.message.text)
    }

    @Test
    fun `pushes for another account or unusable ones are ignored`() = runBlocking<Unit> {
        val bobRaw = Synapse.register("bob")
        val client = signedInClient(dir, bobRaw).also { clients += it }
        val phone = PushHandler({ listOf(PushAccount(client, AccountRoute(bobRaw.userId, secret = "bob-secret"))) })

        val other = phone.handleFcm(mapOf("event_id" to "\$x", "room_id" to "!r:x", "unread" to "1", "cs" to "someone-else"))
        assertEquals(NotificationAction.Ignore("the push is for no signed-in account"), other)

        val unusable = phone.handleFcm(mapOf("hello" to "world"))
        assertTrue((unusable as NotificationAction.Ignore).reason.startsWith("unusable push"), "$unusable")
    }
}
