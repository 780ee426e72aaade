package io.matrixpush.sample.logic

import io.matrixpush.testing.*

import io.matrixpush.Client
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.net.URLEncoder
import java.nio.file.Path

/** A notification's buttons, from the request its PendingIntent carries to the homeserver's state. */
class ActionRunnerLiveTest {
    @TempDir
    lateinit var dir: Path

    private val clients = mutableListOf<Client>()

    @AfterEach
    fun closeClients() = clients.forEach { it.close() }

    /** The request as the broadcast receiver gets it back from the PendingIntent's data. */
    private fun viaIntent(request: ActionRequest) = assertPresent(ActionRequest.fromUri(request.toUri()), "round trip")

    private fun membership(of: TestUser, roomId: String, asker: TestUser): String {
        val user = URLEncoder.encode(of.userId, Charsets.UTF_8)
        return Synapse.request("GET", "/_matrix/client/v3/rooms/$roomId/state/m.room.member/$user", token = asker.accessToken)["membership"]!!
            .jsonPrimitive.content
    }

    @Test
    fun `mark as read drops the room's unread count on the server`() = runBlocking<Unit> {
        val alice = Synapse.register("alice")
        val bob = Synapse.register("bob")
        val roomId = Synapse.createDm(alice, bob)
        Synapse.join(bob, roomId)
        Synapse.sendText(alice, roomId, "one")
        val last = Synapse.sendText(alice, roomId, "two")
        Synapse.waitUntil("unread") { (Synapse.notificationCount(bob, roomId) ?: 0L) >= 2L } // sometimes the invite too
        val runner = ActionRunner(signedInClient(dir, bob).also { clients += it })

        val result = runner.run(viaIntent(ActionRequest(ActionKind.MARK_READ, bob.userId, roomId, last)))
        assertEquals(ActionResult.Done, result)
        Synapse.waitUntil("the room is read") { Synapse.notificationCount(bob, roomId) == 0L }
    }

    @Test
    fun `mark as read with private receipts (the settings switch) drops the unread count too`() = runBlocking<Unit> {
        val alice = Synapse.register("alice")
        val bob = Synapse.register("bob")
        val roomId = Synapse.createDm(alice, bob)
        Synapse.join(bob, roomId)
        val last = Synapse.sendText(alice, roomId, "one")
        Synapse.waitUntil("unread") { (Synapse.notificationCount(bob, roomId) ?: 0L) >= 1L } // sometimes the invite too
        val runner = ActionRunner(signedInClient(dir, bob).also { clients += it }, privateReceipt = true)

        assertEquals(ActionResult.Done, runner.run(viaIntent(ActionRequest(ActionKind.MARK_READ, bob.userId, roomId, last))))
        Synapse.waitUntil("the room is read") { Synapse.notificationCount(bob, roomId) == 0L }
    }

    @Test
    fun `accept joins the invited room, decline leaves it`() = runBlocking<Unit> {
        val alice = Synapse.register("alice")
        val bob = Synapse.register("bob")
        val yes = Synapse.createGroup(alice, "Party", bob)
        val no = Synapse.createGroup(alice, "Spam", bob)
        assertEquals("invite", membership(bob, yes, alice))
        val runner = ActionRunner(signedInClient(dir, bob).also { clients += it })

        assertEquals(ActionResult.Done, runner.run(viaIntent(ActionRequest(ActionKind.ACCEPT, bob.userId, yes, "\$invite"))))
        assertEquals(ActionResult.Done, runner.run(viaIntent(ActionRequest(ActionKind.DECLINE, bob.userId, no, null))))
        assertEquals("join", membership(bob, yes, alice))
        assertEquals("leave", membership(bob, no, alice))
    }

    @Test
    fun `a failure is a sentence for the notification, not an exception`() = runBlocking<Unit> {
        val bob = Synapse.register("bob")
        val runner = ActionRunner(signedInClient(dir, bob).also { clients += it })
        // A room that does not exist: the server refuses the join.
        val failed = runner.run(ActionRequest(ActionKind.ACCEPT, bob.userId, "!nowhere:${Env.serverName}", null))
        val message = assertInstanceOf(ActionResult.Failed::class.java, failed).message
        assertTrue(message.startsWith("Accept failed: "), message)
        assertEquals(
            ActionResult.Failed("Nothing to mark as read."),
            runner.run(ActionRequest(ActionKind.MARK_READ, bob.userId, "!r:x", null)),
        )
    }
}
