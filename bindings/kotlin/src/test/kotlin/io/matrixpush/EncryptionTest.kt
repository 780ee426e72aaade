package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonObject
import kotlinx.serialization.json.putJsonArray
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.util.UUID
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/**
 * The built-in encryption from Kotlin (`Client(…, encryption = true)`, a library built with the
 * `e2ee` feature): signing in makes the device a full E2EE device whose keys other users find,
 * a real Megolm message (from `e2ee-sender`, a crypto client of the same crates: no canned
 * ciphertext) shows its cleartext, and what cannot be decrypted says why.
 */
class EncryptionTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `signing in with encryption publishes the device's keys, and pushes resolve`() = runBlocking<Unit> {
        val alice = Synapse.register("encalice", displayName = "Alice Enc")
        val bob = Synapse.register("encbob")
        val roomId = Synapse.createDm(alice, bob)
        Synapse.join(bob, roomId)

        Client(Env.synapseUrl, dir.toString(), MemorySessionStore(), "encryption tests", null, encryption = true).use { phone ->
            val session = phone.loginPassword(LoginIdentifier.User(bob.userId), bob.password)
            val query = Synapse.request("POST", "/_matrix/client/v3/keys/query", buildJsonObject {
                putJsonObject("device_keys") { putJsonArray(bob.userId) {} }
            }, alice.accessToken)
            val device = query["device_keys"]!!.jsonObject[bob.userId]!!.jsonObject[session.deviceId]?.jsonObject
            assertNotNull(device, "Alice finds the phone's device keys: $query")
            val keys = device!!["keys"]!!.jsonObject
            assertNotNull(keys["curve25519:${session.deviceId}"], "identity key: $keys")
            assertNotNull(keys["ed25519:${session.deviceId}"], "signing key: $keys")
            val claimed = Synapse.request("POST", "/_matrix/client/v3/keys/claim", buildJsonObject {
                putJsonObject("one_time_keys") { putJsonObject(bob.userId) { put(session.deviceId, "signed_curve25519") } }
            }, alice.accessToken)
            assertNotNull(
                claimed["one_time_keys"]?.jsonObject?.get(bob.userId)?.jsonObject?.get(session.deviceId),
                "a one-time key can be claimed: $claimed",
            )

            val eventId = Synapse.sendText(alice, roomId, "plain text, encryption on")
            val payload = decodeFcm(mapOf("event_id" to eventId, "room_id" to roomId, "prio" to "high"))
            val show = assertInstanceOf(Outcome.Show::class.java, phone.handlePush(payload, 10_000uL))
            assertEquals("plain text, encryption on", show.notification.body)
        }
    }

    @Test
    fun `a real Megolm message shows its cleartext, a device without the key says why, and recovery without secret storage is rejected`() = runBlocking<Unit> {
        val bob = Synapse.register("encrealbob")
        val text = "the falcon lands at dawn ${UUID.randomUUID()}"
        val phoneDir = Files.createDirectory(dir.resolve("phone"))
        Client(Env.synapseUrl, phoneDir.toString(), MemorySessionStore(), "encryption tests", null, encryption = true).use { phone ->
            phone.loginPassword(LoginIdentifier.User(bob.userId), bob.password)

            E2eeSender.start(bob.userId, text, Files.createDirectory(dir.resolve("sender"))).use { sender ->
                val invited = sender.nextLine()
                val roomId = invited.string("room_id")
                phone.acceptInvite(roomId)
                val eventId = sender.nextLine().string("event_id")
                val push = decodeFcm(mapOf("event_id" to eventId, "room_id" to roomId, "prio" to "high"))

                // 1. The room key came by to-device: the phone decrypts the real ciphertext.
                val shown = assertInstanceOf(Outcome.Show::class.java, phone.handlePush(push, 10_000uL)).notification
                assertEquals(text, shown.body, "$shown")
                assertEquals(NotificationKind.Message("m.text"), shown.kind, "$shown")
                assertNull(shown.undecryptable, "$shown")
                assertEquals(invited.string("sender"), shown.senderId, "$shown")

                // 3. The same push on another device of Bob's, without built-in encryption (and no
                // decryptor): the key never reached it, so it shows an Encrypted notification and why.
                val otherDir = Files.createDirectory(dir.resolve("other"))
                Client(Env.synapseUrl, otherDir.toString(), MemorySessionStore(), "encryption tests (off)", null).use { other ->
                    other.loginPassword(LoginIdentifier.User(bob.userId), bob.password)
                    val encrypted = assertInstanceOf(Outcome.Show::class.java, other.handlePush(push, 10_000uL)).notification
                    assertEquals(NotificationKind.Encrypted, encrypted.kind, "$encrypted")
                    assertEquals(UndecryptableReason.NoDecryption, encrypted.undecryptable, "$encrypted")
                    assertNotEquals(text, encrypted.body, "no cleartext without the key: $encrypted")
                }
            }

            // 2. Bob never set up recovery: no secret storage, so any key is rejected, typed.
            val rejected = assertThrows(MatrixPushException.RecoveryKeyRejected::class.java) {
                runBlocking { phone.recover("EsTc not a key") }
            }
            assertNotNull(rejected.detail)
        }
    }
}

internal fun JsonObject.string(name: String): String =
    this[name]?.jsonPrimitive?.content ?: fail("no \"$name\" in $this")

/**
 * `e2ee-sender RECIPIENT TEXT` (tests/src/bin/e2ee-sender.rs, built by scripts/kotlin-test, its
 * path in MATRIX_PUSH_E2EE_SENDER): a real crypto client that invites RECIPIENT to an encrypted DM
 * (first JSON line), waits until they joined, then sends TEXT as Megolm ciphertext (second line).
 * It inherits the harness variables; its temporary files go to [tmpDir]. Closing kills it.
 * (AppSessionTest runs it too.)
 */
internal class E2eeSender private constructor(private val process: Process, private val stderr: File) : AutoCloseable {
    private val lines = LinkedBlockingQueue<String>()

    init {
        Thread({
            try {
                process.inputStream.bufferedReader().useLines { seq -> seq.forEach { lines.put(it) } }
            } catch (_: java.io.IOException) {
                // Closed when the process is killed.
            }
        }, "e2ee-sender stdout").apply { isDaemon = true }.start()
    }

    /** The next JSON line, within [timeoutSeconds]; fails with the sender's stderr otherwise. */
    fun nextLine(timeoutSeconds: Long = 90): JsonObject {
        val line = lines.poll(timeoutSeconds, TimeUnit.SECONDS)
            ?: fail("e2ee-sender printed no line within $timeoutSeconds s (alive: ${process.isAlive}); stderr:\n${errors()}")
        return runCatching { Json.parseToJsonElement(line).jsonObject }
            .getOrElse { fail("e2ee-sender printed $line, not a JSON object; stderr:\n${errors()}") }
    }

    private fun errors(): String = runCatching { stderr.readText().takeLast(4000) }.getOrDefault("")

    override fun close() {
        process.destroyForcibly()
        process.waitFor(10, TimeUnit.SECONDS)
    }

    companion object {
        fun start(recipient: String, text: String, tmpDir: Path): E2eeSender {
            val builder = harnessBinary("e2ee-sender", "MATRIX_PUSH_E2EE_SENDER", tmpDir, recipient, text)
                .redirectInput(ProcessBuilder.Redirect.from(File("/dev/null")))
            return E2eeSender(builder.start(), builder.redirectError().file())
        }
    }
}

/**
 * The test binary [name], which scripts/kotlin-test builds and passes by path in [variable], set
 * up to run with [args]: it inherits the harness variables, with [tmpDir] as its temporary folder
 * and its stderr in [tmpDir]'s stderr.log (`redirectError().file()`).
 */
internal fun harnessBinary(name: String, variable: String, tmpDir: Path, vararg args: String): ProcessBuilder {
    val binary = System.getenv(variable)?.takeIf { it.isNotBlank() }
        ?: fail("$variable is not set: run the suite through scripts/kotlin-test, which builds $name (cargo build -p matrix-push-tests --bin $name) and passes its path")
    if (!File(binary).canExecute()) fail<Nothing>("$variable=$binary is not an executable")
    val builder = ProcessBuilder(binary, *args).redirectError(tmpDir.resolve("stderr.log").toFile())
    builder.environment()["TMPDIR"] = tmpDir.toString()
    return builder
}
