package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.intOrNull
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.BufferedReader
import java.io.File
import java.io.Writer
import java.nio.file.Files
import java.nio.file.Path
import java.util.UUID
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * `Client.forAppSession`, the app's own crypto: matrix-push on the session of the app's own
 * Matrix SDK, with a Kotlin TokenProvider (a suspend refresh) and a Kotlin EventDecryptor (a
 * suspend decrypt) that forward to that SDK — here `app-crypto` (tests/src/bin/app-crypto.rs, a
 * real crypto device of the same crates as the SDK's built-in encryption), against the harness
 * Synapse. The message is real Megolm ciphertext from `e2ee-sender`: no canned ciphertext.
 */
class AppSessionTest {
    @TempDir
    lateinit var dir: Path

    /** The app's SDK's current token; a refresh is asked of the SDK, which alone refreshes. */
    private class AppTokens(private val app: AppCrypto) : TokenProvider {
        val refreshRequests = AtomicInteger()
        @Volatile private var current: String = app.accessToken

        override fun accessToken(): String? = current

        override suspend fun refreshedAccessToken(failedToken: String): String? {
            refreshRequests.incrementAndGet()
            val answer = app.request(buildJsonObject { putJsonObject("refresh") { put("failed", failedToken) } })
            val token = answer["access_token"]?.takeIf { it != JsonNull }?.jsonPrimitive?.content ?: return null
            current = token
            return token
        }
    }

    /** Decryption by the app's SDK, with its own room keys, within the time the push has left. */
    private class AppDecryptor(private val app: AppCrypto) : EventDecryptor {
        val keySyncs = AtomicInteger()
        val timesLeft = mutableListOf<ULong>()

        override suspend fun decrypt(roomId: String, eventJson: String, timeLeftMs: ULong): String? {
            synchronized(timesLeft) { timesLeft += timeLeftMs }
            val answer = app.request(buildJsonObject {
                putJsonObject("decrypt") {
                    put("room_id", roomId)
                    put("event", Json.parseToJsonElement(eventJson))
                    put("time_left_ms", timeLeftMs.toLong())
                }
            })
            if (answer["synced"]?.jsonPrimitive?.booleanOrNull == true) keySyncs.incrementAndGet()
            return answer["cleartext"]?.takeIf { it != JsonNull }?.toString()
        }
    }

    @Test
    fun `a client on the app's session refreshes through the app's SDK and decrypts real Megolm with its keys`() = runBlocking<Unit> {
        AppCrypto.start(Files.createDirectory(dir.resolve("app"))).use { app ->
            // The app's SDK's token was issued about now; the test server's live 15 s.
            val tokenIssued = System.nanoTime()
            // A mention only the cleartext shows (the body names the user): the server cannot see it.
            val text = "${app.userId}, the falcon lands at dawn ${UUID.randomUUID()}"
            val tokens = AppTokens(app)
            val decryptor = AppDecryptor(app)
            val storeDir = Files.createDirectory(dir.resolve("push")).toString()
            Client.forAppSession(Env.synapseUrl, app.userId, app.deviceId, tokens, storeDir, decryptor).use { push ->
                assertEquals(app.userId to app.deviceId, push.session()?.let { it.userId to it.deviceId }, "the app's device, signed in as built")

                E2eeSender.start(app.userId, text, Files.createDirectory(dir.resolve("sender"))).use { sender ->
                    val invited = sender.nextLine()
                    val roomId = invited.string("room_id")
                    push.acceptInvite(roomId)   // on the app's session, its token still valid
                    val eventId = sender.nextLine().string("event_id")

                    // The app is not running: its token expires; the room key waits on the server,
                    // by to-device for the app's device.
                    val expired = TimeUnit.SECONDS.toNanos(16) - (System.nanoTime() - tokenIssued)
                    if (expired > 0) delay(TimeUnit.NANOSECONDS.toMillis(expired))

                    val payload = decodeFcm(mapOf("event_id" to eventId, "room_id" to roomId, "prio" to "high"))
                    val shown = assertInstanceOf(Outcome.Show::class.java, push.handlePush(payload, 10_000uL)).notification
                    assertEquals(text, shown.body, "$shown")
                    assertEquals(NotificationKind.Message("m.text"), shown.kind, "$shown")
                    assertNull(shown.undecryptable, "$shown")
                    assertEquals(invited.string("sender"), shown.senderId, "$shown")
                    assertTrue(shown.highlight, "the rules judged the cleartext (a mention of the user): $shown")
                    assertEquals(1, decryptor.keySyncs.get(), "the room key came with the app SDK's own sync")
                    synchronized(decryptor.timesLeft) {
                        assertTrue(decryptor.timesLeft.isNotEmpty() && decryptor.timesLeft.all { it in 1uL..10_000uL }, "time left: ${decryptor.timesLeft}")
                    }
                }

                // The expired token was refreshed once, asked of the app's SDK and made by it.
                assertEquals(1, tokens.refreshRequests.get(), "refresh requests")
                // (A refresh request with a valid token changes nothing: it reports the count.)
                val state = app.request(buildJsonObject { putJsonObject("refresh") { put("failed", "") } })
                assertEquals(1, state["refreshes"]?.jsonPrimitive?.intOrNull, "the app's SDK refreshed once: $state")
                assertEquals(app.userId, push.whoami())
                assertThrows<MatrixPushException.InvalidInput> { runBlocking { push.logout() } }
            }
        }
    }
}

/**
 * `app-crypto` (tests/src/bin/app-crypto.rs, built by scripts/kotlin-test, its path in
 * MATRIX_PUSH_APP_CRYPTO): the app's own Matrix SDK — a new user signed in on a real crypto
 * device, whose first JSON line names the session; then one JSON answer line per request line.
 * It inherits the harness variables; its temporary files and stderr go to [tmpDir]. Closing
 * ends it.
 */
private class AppCrypto private constructor(
    private val process: Process,
    private val stderr: File,
) : AutoCloseable {
    private val input: Writer = process.outputStream.bufferedWriter()
    private val output: BufferedReader = process.inputStream.bufferedReader()
    private val first = readAnswer()
    val userId = first.string("user_id")
    val deviceId = first.string("device_id")
    val accessToken = first.string("access_token")

    /** One request, answered (blocking I/O, off the caller's thread; one at a time). */
    suspend fun request(request: JsonObject): JsonObject = withContext(Dispatchers.IO) {
        synchronized(this@AppCrypto) {
            input.write(request.toString())
            input.write("\n")
            input.flush()
            readAnswer()
        }
    }

    private fun readAnswer(): JsonObject {
        val line = output.readLine()
            ?: fail("app-crypto ended (alive: ${process.isAlive}); stderr:\n${errors()}")
        val answer = runCatching { Json.parseToJsonElement(line).jsonObject }
            .getOrElse { fail("app-crypto printed $line, not a JSON object; stderr:\n${errors()}") }
        answer["error"]?.let { fail<Nothing>("app-crypto: $it; stderr:\n${errors()}") }
        return answer
    }

    private fun errors(): String = runCatching { stderr.readText().takeLast(4000) }.getOrDefault("")

    override fun close() {
        runCatching { input.close() }
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
        process.waitFor(10, TimeUnit.SECONDS)
    }

    companion object {
        fun start(tmpDir: Path): AppCrypto {
            val builder = harnessBinary("app-crypto", "MATRIX_PUSH_APP_CRYPTO", tmpDir)
            return AppCrypto(builder.start(), builder.redirectError().file())
        }
    }
}
