package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

class LoginTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `password login, whoami, and a second client restores the saved session`() = runBlocking<Unit> {
        val bob = Synapse.register("bob")
        val store = MemorySessionStore()
        val info = harnessClient(dir.resolve("first"), store).use { client ->
            assertNull(client.restoreSession(), "nothing saved yet")
            assertNull(client.session())
            val info = client.loginPassword(LoginIdentifier.User(bob.localpart), bob.password)
            assertEquals(bob.userId, info.userId)
            assertTrue(info.deviceId.isNotEmpty(), "a device id")
            assertEquals(bob.userId, client.whoami())
            val session = assertPresent(client.session(), "a session after login")
            assertEquals(info.deviceId, session.deviceId)
            assertEquals(bob.userId, session.userId)
            info
        }

        // The app's store got the session as JSON.
        val saved = assertPresent(store.saved.get(), "the SessionStore received the session")
        assertTrue(store.saves.get() >= 1)
        val json = Json.parseToJsonElement(saved).jsonObject
        assertEquals(bob.userId, json["user_id"]?.jsonPrimitive?.content, "user_id in the saved session JSON (keys: ${json.keys})")
        assertEquals(info.deviceId, json["device_id"]?.jsonPrimitive?.content)

        // A second client (another process, say the notification service) built on the same store.
        harnessClient(dir.resolve("second"), store).use { again ->
            val restored = assertPresent(again.restoreSession(), "restoreSession() finds the saved session")
            assertEquals(bob.userId, restored.userId)
            assertEquals(info.deviceId, restored.deviceId)
            assertEquals(info.deviceId, again.session()?.deviceId)
            assertEquals(bob.userId, again.whoami())
        }
    }

    @Test
    fun `a wrong password is a Matrix error with M_FORBIDDEN`() = runBlocking<Unit> {
        val bob = Synapse.register("wrongpw")
        harnessClient(dir).use { client ->
            val error = assertThrows<MatrixPushException.Matrix> {
                runBlocking { client.loginPassword(LoginIdentifier.User(bob.localpart), bob.password + "-not") }
            }
            assertEquals("M_FORBIDDEN", error.errcode)
            assertEquals(403, error.status.toInt())
            assertEquals(false, error.softLogout)
            assertNull(client.session(), "no session after a failed login")
        }
        Unit
    }
}
