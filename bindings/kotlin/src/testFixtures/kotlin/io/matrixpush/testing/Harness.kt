// The test homeserver harness shared by the JVM suites (bindings/kotlin and android/logic; both
// poms add src/testFixtures/kotlin to their test sources): users through Synapse's shared-secret
// admin API, DMs and named rooms, messages, mentions, read receipts and unread counts.
package io.matrixpush.testing

import io.matrixpush.Client
import io.matrixpush.LogLevel
import io.matrixpush.MatrixPushLogger
import io.matrixpush.SessionStore

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import kotlinx.serialization.json.add
import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.charset.StandardCharsets
import java.nio.file.Path
import java.time.Duration
import java.util.UUID
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicReference
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

/** The test environment, from the variables `scripts/synapse env` and the test runner set. */
object Env {
    private fun required(name: String, hint: String): String =
        System.getenv(name)?.takeIf { it.isNotBlank() }
            ?: throw IllegalStateException("$name is not set: $hint")

    private const val SYNAPSE_HINT =
        "start the harness homeserver (scripts/synapse start main) and eval \"\$(scripts/synapse env)\" first"

    val synapseUrl: String by lazy { required("MATRIX_PUSH_SYNAPSE_URL", SYNAPSE_HINT).trimEnd('/') }
    val serverName: String by lazy { required("MATRIX_PUSH_SYNAPSE_SERVER_NAME", SYNAPSE_HINT) }
    val sharedSecret: String by lazy { required("MATRIX_PUSH_SYNAPSE_SECRET", SYNAPSE_HINT) }
    val fixtures: Path by lazy {
        Path.of(required("MATRIX_PUSH_FIXTURES", "point it at the shared fixtures folder (../shared/fixtures)"))
    }
}

/** A user registered on the harness Synapse, with the access token of the device registration made. */
data class TestUser(
    val localpart: String,
    val password: String,
    val userId: String,
    val accessToken: String,
    val displayName: String,
)

private val runId = "app" + System.currentTimeMillis().toString(36) + UUID.randomUUID().toString().take(6)
private val userCounter = AtomicInteger()

/** A username nobody used before: unique per run and per call. */
fun uniqueLocalpart(label: String): String = "${runId}_${label}_${userCounter.incrementAndGet()}".lowercase()

/** Raw Matrix HTTP with java.net.http, for what the library has no API for (registration, rooms, messages). */
object Synapse {
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
    private val txn = AtomicInteger()

    class HttpFailure(message: String) : RuntimeException(message)

    fun request(method: String, path: String, body: JsonElement? = null, token: String? = null): JsonObject {
        val builder = HttpRequest.newBuilder(URI.create(Env.synapseUrl + path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
        token?.let { builder.header("Authorization", "Bearer $it") }
        val publisher = body?.let { HttpRequest.BodyPublishers.ofString(it.toString()) }
            ?: HttpRequest.BodyPublishers.noBody()
        builder.method(method, if (method == "GET") HttpRequest.BodyPublishers.noBody() else publisher)
        // Synapse's registration and room creation are rate limited per IP: retry on 429.
        repeat(10) {
            val response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString())
            if (response.statusCode() == 429) {
                val wait = runCatching {
                    Json.parseToJsonElement(response.body()).jsonObject["retry_after_ms"]!!.jsonPrimitive.content.toLong()
                }.getOrDefault(1000L)
                Thread.sleep(wait.coerceIn(100L, 5000L))
                return@repeat
            }
            if (response.statusCode() !in 200..299) {
                throw HttpFailure("$method $path -> HTTP ${response.statusCode()}: ${response.body()}")
            }
            return Json.parseToJsonElement(response.body().ifBlank { "{}" }).jsonObject
        }
        throw HttpFailure("$method $path: still rate limited after 10 tries")
    }

    private fun hmacSha1Hex(key: String, message: String): String {
        val mac = Mac.getInstance("HmacSHA1")
        mac.init(SecretKeySpec(key.toByteArray(StandardCharsets.UTF_8), "HmacSHA1"))
        return mac.doFinal(message.toByteArray(StandardCharsets.UTF_8)).joinToString("") { "%02x".format(it) }
    }

    /** Registers a new user through the shared-secret admin API (GET then POST /_synapse/admin/v1/register). */
    fun register(label: String, displayName: String? = null): TestUser {
        val localpart = uniqueLocalpart(label)
        val password = "pw-" + UUID.randomUUID().toString()
        val nonce = request("GET", "/_synapse/admin/v1/register")["nonce"]!!.jsonPrimitive.content
        val mac = hmacSha1Hex(Env.sharedSecret, "$nonce\u0000$localpart\u0000$password\u0000notadmin")
        val name = displayName ?: localpart
        val response = request("POST", "/_synapse/admin/v1/register", buildJsonObject {
            put("nonce", nonce)
            put("username", localpart)
            put("password", password)
            put("displayname", name)
            put("admin", false)
            put("mac", mac)
        })
        return TestUser(
            localpart = localpart,
            password = password,
            userId = response["user_id"]!!.jsonPrimitive.content,
            accessToken = response["access_token"]!!.jsonPrimitive.content,
            displayName = name,
        )
    }

    private fun enc(s: String): String = URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20")

    fun createDm(creator: TestUser, invitee: TestUser): String =
        request("POST", "/_matrix/client/v3/createRoom", buildJsonObject {
            putJsonArray("invite") { add(invitee.userId) }
            put("is_direct", true)
            put("preset", "trusted_private_chat")
        }, creator.accessToken)["room_id"]!!.jsonPrimitive.content

    fun join(user: TestUser, roomId: String) {
        request("POST", "/_matrix/client/v3/join/${enc(roomId)}", buildJsonObject {}, user.accessToken)
    }

    fun sendText(user: TestUser, roomId: String, body: String): String =
        request(
            "PUT",
            "/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/app${System.nanoTime()}-${txn.incrementAndGet()}",
            buildJsonObject {
                put("msgtype", "m.text")
                put("body", body)
            },
            user.accessToken,
        )["event_id"]!!.jsonPrimitive.content

    /** Creates a named (non-DM) room and invites [invitees]; returns its id. */
    fun createGroup(creator: TestUser, name: String, vararg invitees: TestUser): String =
        request("POST", "/_matrix/client/v3/createRoom", buildJsonObject {
            put("name", name)
            put("preset", "private_chat")
            putJsonArray("invite") { invitees.forEach { add(it.userId) } }
        }, creator.accessToken)["room_id"]!!.jsonPrimitive.content

    /** A text message that mentions [mentioned] (intentional mentions, `m.mentions.user_ids`). */
    fun sendMention(user: TestUser, roomId: String, mentioned: TestUser, body: String): String =
        request(
            "PUT",
            "/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/app${System.nanoTime()}-${txn.incrementAndGet()}",
            buildJsonObject {
                put("msgtype", "m.text")
                put("body", body)
                put("m.mentions", buildJsonObject { putJsonArray("user_ids") { add(mentioned.userId) } })
            },
            user.accessToken,
        )["event_id"]!!.jsonPrimitive.content

    /** [user] reads [roomId] up to [eventId] (a read receipt, as another of their devices would send). */
    fun readUpTo(user: TestUser, roomId: String, eventId: String) {
        request(
            "POST",
            "/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}",
            buildJsonObject {},
            user.accessToken,
        )
    }

    /** The room's notification count as [user]'s `/sync` reports it (null when not in the response). */
    fun notificationCount(user: TestUser, roomId: String): Long? {
        // A type that does not exist, new each time: Synapse answers an identical sync from its
        // cache for two minutes, so a count polled until it changes would never change. A
        // timeline of one: Synapse leaves a room without a timeline event out of the answer.
        val nonce = "io.matrixpush.test.nocache.${System.nanoTime()}"
        val filter = """{"room":{"rooms":["$roomId"],"timeline":{"limit":1,"not_types":["$nonce"]},"state":{"types":[]}}}"""
        val sync = request("GET", "/_matrix/client/v3/sync?timeout=0&filter=${enc(filter)}", token = user.accessToken)
        return sync["rooms"]?.jsonObject?.get("join")?.jsonObject?.get(roomId)?.jsonObject
            ?.get("unread_notifications")?.jsonObject?.get("notification_count")?.jsonPrimitive?.content?.toLong()
    }

    /** Waits until [condition] holds (Synapse updates counts after a receipt asynchronously). */
    fun waitUntil(what: String, timeoutMs: Long = 10_000, condition: () -> Boolean) {
        val until = System.currentTimeMillis() + timeoutMs
        while (!condition()) {
            if (System.currentTimeMillis() > until) throw AssertionError("timed out waiting until $what")
            Thread.sleep(100)
        }
    }

    /** A 4×4 PNG, uploaded as [user]; its `mxc://` URL (an avatar for the notification tests). */
    fun uploadPng(user: TestUser): String {
        val png = java.util.Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAYAAACp8Z5+AAAAEklEQVR4nGP4z8DwHxkzkC4AADxAH+HggXe0AAAAAElFTkSuQmCC",
        )
        val request = HttpRequest.newBuilder(URI.create(Env.synapseUrl + "/_matrix/media/v3/upload"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "image/png")
            .header("Authorization", "Bearer ${user.accessToken}")
            .POST(HttpRequest.BodyPublishers.ofByteArray(png))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        if (response.statusCode() != 200) throw HttpFailure("upload -> HTTP ${response.statusCode()}: ${response.body()}")
        return Json.parseToJsonElement(response.body()).jsonObject["content_uri"]!!.jsonPrimitive.content
    }

    fun displayName(userId: String): String? = runCatching {
        request("GET", "/_matrix/client/v3/profile/${enc(userId)}/displayname")["displayname"]?.jsonPrimitive?.content
    }.getOrNull()
}

/** The app's side of the session store: here, a string in memory. */
class MemorySessionStore : SessionStore {
    val saved = AtomicReference<String?>(null)
    val saves = AtomicInteger()
    val clears = AtomicInteger()

    override fun load(): String? = saved.get()
    override fun save(session: String) {
        saves.incrementAndGet()
        saved.set(session)
    }
    override fun clear() {
        clears.incrementAndGet()
        saved.set(null)
    }
}

/** A client of the harness Synapse keeping its state in [storeDir]. */
fun harnessClient(storeDir: Path, store: SessionStore? = null, deviceName: String? = "android logic tests"): Client =
    Client(Env.synapseUrl, storeDir.toString(), store, deviceName, null)

/** Collects log lines from the library. */
class CollectingLogger : MatrixPushLogger {
    val lines: MutableList<String> = java.util.Collections.synchronizedList(mutableListOf())
    override fun log(level: LogLevel, target: String, message: String) {
        lines += "$level $target $message"
    }
}

/** Drops everything (installed after a test that set a collecting logger). */
object SilentLogger : MatrixPushLogger {
    override fun log(level: LogLevel, target: String, message: String) {}
}

/** Like assertNotNull, but hands the value back (JUnit's returns Unit). */
fun <T : Any> assertPresent(value: T?, message: String): T =
    value ?: org.junit.jupiter.api.Assertions.fail(message)

/** A client of the harness Synapse signed in as [user] (a new device of theirs: the phone). */
suspend fun signedInClient(storeDir: Path, user: TestUser): Client =
    harnessClient(storeDir, MemorySessionStore()).also {
        it.loginPassword(io.matrixpush.core.LoginIdentifier.User(user.localpart), user.password)
    }
