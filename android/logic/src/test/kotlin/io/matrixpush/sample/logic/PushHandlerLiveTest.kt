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
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put

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
        assertEquals(NotificationMapper.conversationTagFor(bobRaw.userId, roomId), one.tag)
        assertEquals(NotificationMapper.groupKeyFor(bobRaw.userId), one.groupKey)
        assertEquals(NotificationContent.CONVERSATION_ID, one.id)
        assertEquals(NotificationMapper.shortcutIdFor(bobRaw.userId, roomId), one.shortcutId)
        assertEquals(listOf(ActionKind.MARK_READ), one.actions)
        assertEquals(MessageLine(alice.userId, "Alice Android", "Are you there?", one.message.timestampMs), one.message)
        assertTrue(one.message.timestampMs > 0)

        // The app hands back the lines of the conversation's notification.
        val two = post(phone.handleFcm(fcmData(second, roomId, unread = 2)) { account, room ->
            if (account == bobRaw.userId && room == roomId) one.lines else emptyList()
        })
        assertEquals(one.groupKey, two.groupKey)
        assertEquals(one.tag to one.id, two.tag to two.id, "one notification per conversation, replaced")
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
        assertEquals(NotificationAction.Cancel(bobRaw.userId, listOf(NotificationMapper.conversationTagFor(bobRaw.userId, roomId)), 1L), action)
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
        assertEquals(NotificationAction.Cancel(bobRaw.userId, listOf(NotificationMapper.conversationTagFor(bobRaw.userId, roomId)), null), action)
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
        assertEquals(NotificationMapper.conversationTagFor(bobRaw.userId, roomId), bare.tag)
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
        assertEquals(NotificationAction.Ignore(PushHandler.NO_ACCOUNT), other)

        val unusable = phone.handleFcm(mapOf("hello" to "world"))
        assertTrue((unusable as NotificationAction.Ignore).reason.startsWith("unusable push"), "$unusable")
    }

    @Test
    fun `a DM's notification carries the sender's avatar, fetched within the push's deadline`() = runBlocking<Unit> {
        val alice = Synapse.register("alice", displayName = "Alice")
        val mxc = setAvatar(alice)
        val bobRaw = Synapse.register("bob")
        val roomId = Synapse.createDm(alice, bobRaw)
        Synapse.join(bobRaw, roomId)
        val eventId = Synapse.sendText(alice, roomId, "look at my face")
        val (_, phone) = phoneOf(bobRaw)

        val action = assertInstanceOf(NotificationAction.Post::class.java, phone.handleFcm(fcmData(eventId, roomId)))
        assertEquals(mxc, action.content.iconAvatarUrl, "a DM's icon is the other person's avatar")
        assertEquals(mxc, action.content.message.senderAvatarUrl)
        val thumbnail = assertPresent(action.avatars[mxc], "the avatar, fetched in time: ${action.avatars.keys}")
        assertTrue(thumbnail.bytes.isNotEmpty())
        assertTrue(thumbnail.contentType.startsWith("image/"), thumbnail.contentType)

        // No time left after resolving the push (a clock that jumps to the deadline): no avatar
        // is fetched, and the notification is shown all the same.
        val bobAgain = signedInClient(dir.resolve("late"), bobRaw).also { clients += it }
        var calls = 0
        val late = PushHandler(
            accounts = { listOf(PushAccount(bobAgain, AccountRoute(bobRaw.userId, secret = null))) },
            clock = { if (calls++ == 0) 0L else PushHandler.DEFAULT_DEADLINE_MS.toLong() },
        )
        val second = Synapse.sendText(alice, roomId, "again")
        val shown = assertInstanceOf(NotificationAction.Post::class.java, late.handleFcm(fcmData(second, roomId)))
        assertFalse(shown.content.isFallback)
        assertEquals(emptyMap<String, Any>(), shown.avatars, "nothing fetched past the deadline")
    }

    /** Uploads a small PNG and makes it [user]'s avatar; returns its mxc URL. */
    private fun setAvatar(user: TestUser): String {
        val image = java.awt.image.BufferedImage(64, 64, java.awt.image.BufferedImage.TYPE_INT_RGB)
        for (x in 0 until 64) for (y in 0 until 64) image.setRGB(x, y, if ((x / 8 + y / 8) % 2 == 0) 0xCC3366 else 0x3366CC)
        val png = java.io.ByteArrayOutputStream().also { javax.imageio.ImageIO.write(image, "png", it) }.toByteArray()
        val response = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create("${Env.synapseUrl}/_matrix/media/v3/upload?filename=face.png"))
                .header("Authorization", "Bearer ${user.accessToken}")
                .header("Content-Type", "image/png")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(png))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString(),
        )
        assertEquals(200, response.statusCode(), response.body())
        val mxc = kotlinx.serialization.json.Json.parseToJsonElement(response.body())
            .jsonObject["content_uri"]!!.jsonPrimitive.content
        Synapse.request(
            "PUT", "/_matrix/client/v3/profile/${java.net.URLEncoder.encode(user.userId, Charsets.UTF_8)}/avatar_url",
            buildJsonObject { put("avatar_url", mxc) }, token = user.accessToken,
        )
        return mxc
    }
}
