package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** `Client.rooms()`: the room list a settings screen offers, with names, DMs and modes. */
class RoomsTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `rooms lists every joined room by name with its mode`() = runBlocking<Unit> {
        val alice = Synapse.register("roomsalice", displayName = "Alice Rooms")
        val bob = Synapse.register("roomsbob")
        val dm = Synapse.createDm(alice, bob)
        val team = Synapse.createGroup(alice, "Team", bob)
        val quiet = Synapse.createGroup(alice, "quiet corner", bob)
        Synapse.createGroup(alice, "Invited only", bob)   // not joined: not listed
        listOf(dm, team, quiet).forEach { Synapse.join(bob, it) }

        signedInClient(dir, bob).use { client ->
            client.setRoomMode(quiet, RoomNotificationMode.MENTIONS_AND_KEYWORDS_ONLY)
            assertEquals(
                listOf(
                    RoomSummary(dm, "Alice Rooms", isDm = true, joinedMembers = 2uL, mode = null),
                    RoomSummary(quiet, "quiet corner", isDm = false, joinedMembers = 2uL,
                        mode = RoomNotificationMode.MENTIONS_AND_KEYWORDS_ONLY),
                    RoomSummary(team, "Team", isDm = false, joinedMembers = 2uL, mode = null),
                ),
                client.rooms(),
                "sorted by name, ignoring case",
            )
        }
    }
}
