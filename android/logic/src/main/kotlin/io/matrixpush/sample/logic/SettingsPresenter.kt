package io.matrixpush.sample.logic

import io.matrixpush.ClientInterface
import io.matrixpush.MatrixPushException
import io.matrixpush.RoomNotificationMode
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonArray
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put

/** A room the settings screen offers. */
data class KnownRoom(val roomId: String, val name: String)

/** One room's notification setting. */
data class RoomSetting(
    val roomId: String,
    val name: String,
    /** `ALL_MESSAGES` when the room has no rule of its own (the account's defaults apply). */
    val mode: RoomNotificationMode,
    val hasOwnRule: Boolean,
)

data class SettingsState(
    val keywords: List<String> = emptyList(),
    val rooms: List<RoomSetting> = emptyList(),
    val busy: Boolean = false,
    /** The last failure, for the user; cleared by the next successful action. */
    val error: String? = null,
)

/**
 * The settings screen's state over the `Client` push-rule API: keywords and room modes. Every
 * change is made on the server and then read back, so the screen shows what the server has.
 * Reads answer from the rules the library stores (refetched after each change of this app, kept
 * current by the push-rule sync), so listing many rooms costs one request at most.
 * The screen collects [state]; rule changes from other devices arrive through
 * [onRulesChanged] (hook it to `Client.startPushRulesSync` while the screen is shown).
 */
class SettingsPresenter(private val client: ClientInterface) {
    private val _state = MutableStateFlow(SettingsState())
    val state: StateFlow<SettingsState> = _state.asStateFlow()
    private var rooms: List<KnownRoom> = emptyList()

    /** Reads the keywords and the mode of each of [rooms]. */
    suspend fun load(rooms: List<KnownRoom>) {
        this.rooms = rooms
        perform {
            val keywords = client.keywords()
            val settings = readRooms(rooms)
            _state.update { it.copy(keywords = keywords.sorted(), rooms = settings) }
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
        // The library takes any rule id; a room's must be its id.
        if (!roomId.startsWith("!")) {
            _state.update { it.copy(error = "Not a room id: $roomId") }
            return
        }
        perform { setRoomModeOnServer(roomId, mode) }
    }

    private suspend fun setRoomModeOnServer(roomId: String, mode: RoomNotificationMode) {
        client.setRoomMode(roomId, mode)
        val room = rooms.firstOrNull { it.roomId == roomId } ?: KnownRoom(roomId, roomId)
        val updated = readRoom(room)
        _state.update { s ->
            val others = s.rooms.filterNot { it.roomId == roomId }
            s.copy(rooms = (others + updated).sortedBy { r -> rooms.indexOfFirst { it.roomId == r.roomId } })
        }
    }

    /** Keywords from a push-rule sync (another device changed them). */
    fun onRulesChanged(keywords: List<String>) {
        _state.update { it.copy(keywords = keywords.sorted()) }
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

    // One at a time: roomMode() answers from the stored rules, but when none are stored yet it
    // fetches and saves them, and two saves of the same store document at once in one process
    // can fail with a Storage error (the library's temporary file is named per process, not per
    // write). In turn, the first read stores the rules and the others make no request.
    private suspend fun readRooms(rooms: List<KnownRoom>): List<RoomSetting> = rooms.map { readRoom(it) }

    private suspend fun readRoom(room: KnownRoom): RoomSetting {
        val mode = client.roomMode(room.roomId)
        return RoomSetting(room.roomId, room.name, mode ?: RoomNotificationMode.ALL_MESSAGES, mode != null)
    }
}

/**
 * The rooms the app has shown notifications for, newest first (the library has no room list: the
 * settings screen offers these). Kept as JSON in a [KeyValueStore].
 */
class KnownRooms(private val store: KeyValueStore, private val max: Int = 30) {
    @Synchronized
    fun all(): List<KnownRoom> {
        val array = runCatching { Json.parseToJsonElement(store.get(KEY) ?: "[]") as? JsonArray }.getOrNull()
            ?: return emptyList()
        return array.mapNotNull { element ->
            val obj = element as? JsonObject ?: return@mapNotNull null
            val id = (obj["id"] as? JsonPrimitive)?.content ?: return@mapNotNull null
            KnownRoom(id, (obj["name"] as? JsonPrimitive)?.content ?: id)
        }
    }

    @Synchronized
    fun remember(room: KnownRoom) {
        val rooms = (listOf(room) + all().filterNot { it.roomId == room.roomId }).take(max)
        store.put(KEY, buildJsonArray {
            rooms.forEach { r -> add(buildJsonObject { put("id", r.roomId); put("name", r.name) }) }
        }.toString())
    }

    companion object {
        const val KEY = "known_rooms"
    }
}
