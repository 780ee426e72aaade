package io.matrixpush.sample.logic

import io.matrixpush.testing.*

import io.matrixpush.Client
import io.matrixpush.core.RoomNotificationMode
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

class SettingsPresenterLiveTest {
    @TempDir
    lateinit var dir: Path

    private val clients = mutableListOf<Client>()

    @AfterEach
    fun closeClients() = clients.forEach { it.close() }

    @Test
    fun `joined rooms are listed by name, and their modes set on the server and read back`() = runBlocking<Unit> {
        val alice = Synapse.register("alice", displayName = "Alice")
        val bobRaw = Synapse.register("bob")
        val ops = Synapse.createGroup(alice, "Ops room", bobRaw)
        val chat = Synapse.createDm(alice, bobRaw)
        val invite = Synapse.createGroup(alice, "Not joined yet", bobRaw)
        listOf(ops, chat).forEach { Synapse.join(bobRaw, it) }
        val client = signedInClient(dir, bobRaw).also { clients += it }
        val presenter = SettingsPresenter(client)

        presenter.load()
        val initial = presenter.state.value
        assertNull(initial.error)
        assertFalse(initial.busy)
        assertEquals(
            listOf(
                RoomSetting(chat, "Alice", RoomNotificationMode.ALL_MESSAGES, hasOwnRule = false, isDm = true),
                RoomSetting(ops, "Ops room", RoomNotificationMode.ALL_MESSAGES, hasOwnRule = false),
            ),
            initial.rooms,
            "the joined rooms by name; the invite is not listed",
        )

        presenter.setRoomMode(ops, RoomNotificationMode.MENTIONS_AND_KEYWORDS_ONLY)
        presenter.setRoomMode(chat, RoomNotificationMode.MUTE)
        val after = presenter.state.value
        assertNull(after.error)
        assertEquals(
            listOf(
                RoomSetting(chat, "Alice", RoomNotificationMode.MUTE, hasOwnRule = true, isDm = true),
                RoomSetting(ops, "Ops room", RoomNotificationMode.MENTIONS_AND_KEYWORDS_ONLY, hasOwnRule = true),
            ),
            after.rooms,
        )
        // What the server now has, through a second client (another start of the app).
        val second = signedInClient(dir.resolve("second"), bobRaw).also { clients += it }
        assertEquals(RoomNotificationMode.MENTIONS_AND_KEYWORDS_ONLY, second.roomMode(ops))
        assertEquals(RoomNotificationMode.MUTE, second.roomMode(chat))

        presenter.setRoomMode(chat, RoomNotificationMode.ALL_MESSAGES)
        assertEquals(
            RoomSetting(chat, "Alice", RoomNotificationMode.ALL_MESSAGES, hasOwnRule = false, isDm = true),
            presenter.state.value.rooms.single { it.roomId == chat },
        )
        // The second client reads its stored rules: it sees another client's change once its
        // rules are refreshed (what its push-rule sync does while it runs).
        assertEquals(RoomNotificationMode.MUTE, second.roomMode(chat), "answered from the stored rules")
        second.fetchPushRules()
        assertNull(second.roomMode(chat), "back to the account's defaults: no rule of its own")

        // A room typed in by id (the invite) is offered after the joined ones, and kept by a reload.
        presenter.addRoom("  $invite ")
        presenter.setRoomMode(invite, RoomNotificationMode.MUTE)
        presenter.load()
        val reloaded = presenter.state.value
        assertNull(reloaded.error)
        assertEquals(listOf(chat, ops, invite), reloaded.rooms.map { it.roomId })
        assertEquals(
            RoomSetting(invite, invite, RoomNotificationMode.MUTE, hasOwnRule = true),
            reloaded.rooms.last(),
        )
        // Once joined, it is listed by its name, in its place.
        Synapse.join(bobRaw, invite)
        presenter.load()
        assertEquals(
            listOf("Alice", "Not joined yet", "Ops room"),
            presenter.state.value.rooms.map { it.name },
        )
    }

    @Test
    fun `keywords are added and removed, blank ones refused, failures shown`() = runBlocking<Unit> {
        val bobRaw = Synapse.register("bob")
        val client = signedInClient(dir, bobRaw).also { clients += it }
        val presenter = SettingsPresenter(client)
        presenter.load()
        assertEquals(emptyList<String>(), presenter.state.value.keywords)

        presenter.addKeyword("  deploy  ")
        presenter.addKeyword("outage")
        assertEquals(listOf("deploy", "outage"), presenter.state.value.keywords)
        assertEquals(setOf("deploy", "outage"), client.keywords().toSet())

        presenter.removeKeyword("deploy")
        assertEquals(listOf("outage"), presenter.state.value.keywords)

        presenter.addKeyword("   ")
        assertEquals("Type a keyword first.", presenter.state.value.error)
        assertEquals(listOf("outage"), client.keywords())

        presenter.setRoomMode("not a room id", RoomNotificationMode.MUTE)
        assertEquals("Not a room id: not a room id", presenter.state.value.error)
        presenter.addRoom("#alias:localhost")
        assertEquals("Not a room id: #alias:localhost", presenter.state.value.error)
        assertEquals(emptyList<RoomSetting>(), presenter.state.value.rooms)

        // A keyword the library refuses (it would be a rule id with a '/'): the error is kept
        // for the screen, and the state stays usable.
        presenter.addKeyword("ci/cd")
        val state = presenter.state.value
        assertTrue(state.error!!.startsWith("Not valid: "), "$state")
        assertFalse(state.busy)
        assertEquals(listOf("outage"), state.keywords)
        presenter.addKeyword("again")
        assertNull(presenter.state.value.error, "cleared by the next success")

        presenter.onRulesChanged(listOf("zeta", "alpha"))
        assertEquals(listOf("alpha", "zeta"), presenter.state.value.keywords)
    }
}
