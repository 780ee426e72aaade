package io.matrixpush.sample.logic

import io.matrixpush.ClientInterface
import io.matrixpush.MatrixPushException
import io.matrixpush.core.RoomNotificationMode
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/** One room's notification setting. */
data class RoomSetting(
    val roomId: String,
    /** The room's display name; the id for a room typed in that the user has not joined. */
    val name: String,
    /** `ALL_MESSAGES` when the room has no rule of its own (the account's defaults apply). */
    val mode: RoomNotificationMode,
    val hasOwnRule: Boolean,
    val isDm: Boolean = false,
)

data class SettingsState(
    val keywords: List<String> = emptyList(),
    /** Every joined room, sorted by name (as `Client.rooms()` lists them), then rooms typed in. */
    val rooms: List<RoomSetting> = emptyList(),
    val busy: Boolean = false,
    /** The last failure, for the user; cleared by the next successful action. */
    val error: String? = null,
)

/**
 * The settings screen's state over the `Client` push-rule API: keywords and room modes. The rooms
 * are the user's joined rooms (`Client.rooms()`: one request, modes included) plus any room typed
 * in by id ([addRoom]: an invite, say, which the list leaves out). Every change is made on the
 * server and then read back, so the screen shows what the server has. Reads answer from the
 * rules the library stores (refetched after each change of this app, kept current by the
 * push-rule sync), so they cost one request at most.
 * The screen collects [state]; rule changes from other devices arrive through
 * [onRulesChanged] (hook it to `Client.startPushRulesSync` while the screen is shown).
 */
class SettingsPresenter(private val client: ClientInterface) {
    private val _state = MutableStateFlow(SettingsState())
    val state: StateFlow<SettingsState> = _state.asStateFlow()
    /** Rooms typed in by id, kept across [load]s (the room list has joined rooms only). */
    private val typedRoomIds = mutableListOf<String>()

    /** Reads the keywords, the joined rooms with their modes, and the modes of rooms typed in. */
    suspend fun load() = perform {
        // In turn, not in parallel: when no rules are stored yet, keywords() fetches and stores
        // them, and rooms() then reads them without a second fetch.
        val keywords = client.keywords()
        val joined = client.rooms().map { room ->
            RoomSetting(
                room.roomId,
                room.name,
                room.mode ?: RoomNotificationMode.ALL_MESSAGES,
                hasOwnRule = room.mode != null,
                isDm = room.isDm,
            )
        }
        val typed = typedRoomIds.filter { id -> joined.none { it.roomId == id } }.map { readTypedRoom(it) }
        _state.update { it.copy(keywords = keywords.sorted(), rooms = joined + typed) }
    }

    /** Offers a room by id (one the list does not show: an invite, a room not joined yet). */
    suspend fun addRoom(text: String) {
        val roomId = text.trim()
        if (!isRoomId(roomId)) return
        if (_state.value.rooms.any { it.roomId == roomId }) return
        perform {
            val room = readTypedRoom(roomId)
            typedRoomIds += roomId
            _state.update { it.copy(rooms = it.rooms + room) }
        }
    }

    suspend fun addKeyword(text: String) {
        val keyword = text.trim()
        if (keyword.isEmpty()) {
            _state.update { it.copy(error = "Type a keyword first.") }
            return
        }
        perform {
            client.addKeyword(keyword)
            _state.update { it.copy(keywords = client.keywords().sorted()) }
        }
    }

    suspend fun removeKeyword(keyword: String) = perform {
        client.removeKeyword(keyword)
        _state.update { it.copy(keywords = client.keywords().sorted()) }
    }

    suspend fun setRoomMode(roomId: String, mode: RoomNotificationMode) {
        if (!isRoomId(roomId)) return
        perform { setRoomModeOnServer(roomId, mode) }
    }

    private suspend fun setRoomModeOnServer(roomId: String, mode: RoomNotificationMode) {
        client.setRoomMode(roomId, mode)
        // Read back from the stored rules, which the edit refetched: no request.
        val stored = client.roomMode(roomId)
        val withMode = { room: RoomSetting ->
            room.copy(mode = stored ?: RoomNotificationMode.ALL_MESSAGES, hasOwnRule = stored != null)
        }
        if (_state.value.rooms.none { it.roomId == roomId }) {
            typedRoomIds += roomId
            val typed = RoomSetting(roomId, roomId, RoomNotificationMode.ALL_MESSAGES, hasOwnRule = false)
            _state.update { it.copy(rooms = it.rooms + withMode(typed)) }
        } else {
            _state.update { s -> s.copy(rooms = s.rooms.map { if (it.roomId == roomId) withMode(it) else it }) }
        }
    }

    /** Keywords from a push-rule sync (another device changed them). */
    fun onRulesChanged(keywords: List<String>) {
        _state.update { it.copy(keywords = keywords.sorted()) }
    }

    /** The library takes any rule id; a room's must be its id. Says so when it is not. */
    private fun isRoomId(roomId: String): Boolean {
        if (roomId.startsWith("!")) return true
        _state.update { it.copy(error = "Not a room id: $roomId") }
        return false
    }

    /** Runs [block] with [SettingsState.busy] set; a failure becomes [SettingsState.error]. */
    private suspend fun perform(block: suspend () -> Unit) {
        _state.update { it.copy(busy = true) }
        try {
            block()
            _state.update { it.copy(busy = false, error = null) }
        } catch (e: MatrixPushException) {
            _state.update { it.copy(busy = false, error = userMessage(e)) }
        }
    }

    /** A room typed in: named by its id (the list names joined rooms only). */
    private suspend fun readTypedRoom(roomId: String): RoomSetting {
        val mode = client.roomMode(roomId)
        return RoomSetting(roomId, roomId, mode ?: RoomNotificationMode.ALL_MESSAGES, mode != null)
    }
}
