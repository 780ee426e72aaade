package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

class LoggerTest {
    @TempDir
    lateinit var dir: Path

    @AfterEach
    fun quiet() {
        // The logger is global: leave one that drops everything for the other tests.
        setLogger(SilentLogger, LogLevel.ERROR)
    }

    @Test
    fun `debug logging during a login carries no password or token`() = runBlocking<Unit> {
        val user = Synapse.register("logger")
        val logger = CollectingLogger()
        setLogger(logger, LogLevel.DEBUG)
        val store = MemorySessionStore()
        harnessClient(dir, store).use { client ->
            client.loginPassword(LoginIdentifier.User(user.localpart), user.password)
            client.whoami()
        }
        val lines = synchronized(logger.lines) { logger.lines.toList() }
        assertTrue(lines.isNotEmpty(), "the logger received lines")
        println("${lines.size} log lines, e.g.:\n" + lines.take(10).joinToString("\n"))

        val session = Json.parseToJsonElement(assertPresent(store.saved.get(), "the SessionStore received the session")).jsonObject
        val accessToken = session["access_token"]?.jsonPrimitive?.content
        assertTrue(!accessToken.isNullOrEmpty(), "the saved session has an access_token (keys: ${session.keys})")
        val secrets = buildList {
            add(user.password)
            add(accessToken!!)
            session["refresh_token"]?.takeIf { it != JsonNull }?.jsonPrimitive?.content?.let { add(it) }
        }
        for (line in lines) {
            for (secret in secrets) {
                assertFalse(line.contains(secret), "a log line carries a secret: ${line.replace(secret, "<SECRET>")}")
            }
        }
    }
}
