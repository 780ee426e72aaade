package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** A notification's buttons from Kotlin: Mark as read, Accept, Decline; and its avatar. */
class ActionsTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `mark as read clears the room's count, privately too`() = runBlocking<Unit> {
        val alice = Synapse.register("actalice")
        val bob = Synapse.register("actbob")
        val dm = Synapse.createDm(alice, bob)
        Synapse.join(bob, dm)
        val last = Synapse.sendText(alice, dm, "lunch?")
        Synapse.waitUntil("unread") { (Synapse.notificationCount(bob, dm) ?: 0L) >= 1L } // Synapse sometimes counts the invite too
        signedInClient(dir, bob).use { client ->
            client.markRead(dm, last, ReceiptVisibility.PRIVATE)
            Synapse.waitUntil("read") { Synapse.notificationCount(bob, dm) == 0L }
            assertThrows<MatrixPushException.InvalidInput> {
                runBlocking { client.markRead("#not-a-room:x", last, ReceiptVisibility.PUBLIC) }
            }
        }
    }

    @Test
    fun `invites are accepted and declined, and a missing avatar is null`() = runBlocking<Unit> {
        val alice = Synapse.register("actinviter")
        val bob = Synapse.register("actinvitee")
        val yes = Synapse.createGroup(alice, "Yes", bob)
        val no = Synapse.createGroup(alice, "No", bob)
        signedInClient(dir, bob).use { client ->
            client.acceptInvite(yes)
            client.declineInvite(no)
            assertEquals(
                listOf("Yes"),
                client.rooms().map { it.name },
                "joined the one, not the other",
            )
            assertNull(client.avatar("mxc://localhost/doesnotexist", 2_000uL))
            assertNull(client.avatar("not an mxc url", 2_000uL))
        }
    }

    @Test
    fun `an avatar is a thumbnail, from the shared cache when no time is left`() = runBlocking<Unit> {
        val alice = Synapse.register("actface")
        val bob = Synapse.register("actviewer")
        val face = Synapse.uploadPng(alice)
        val other = Synapse.uploadPng(alice)
        signedInClient(dir, bob).use { client ->
            assertNull(client.avatar(face, 0uL), "not cached yet, and no time to fetch it")
            val thumbnail = client.avatar(face, 5_000uL)!!
            assertEquals(true, thumbnail.contentType.startsWith("image/"), thumbnail.contentType)
            assertEquals(0x89.toByte(), thumbnail.bytes.first(), "a PNG")
            val cached = client.avatar(face, 0uL)!!
            assertEquals(true, cached.bytes.contentEquals(thumbnail.bytes), "the next push takes it from the cache")
            assertNull(client.avatar(other, 0uL))
        }
    }
}
