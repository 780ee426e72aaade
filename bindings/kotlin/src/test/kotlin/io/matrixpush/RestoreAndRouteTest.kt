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

/** `restoreClient` (a client from the saved session alone) and `routePush` (which account a push is for). */
class RestoreAndRouteTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `restoreClient needs no homeserver, returns null when nothing is saved`() = runBlocking<Unit> {
        val store = MemorySessionStore()
        assertNull(restoreClient(dir.resolve("empty").toString(), store, "Kotlin tests", null), "nothing saved")

        val bob = Synapse.register("restorebob")
        val signedIn = harnessClient(dir.resolve("first"), store).use { client ->
            client.loginPassword(LoginIdentifier.User(bob.localpart), bob.password)
        }
        val restored = assertPresent(
            restoreClient(dir.resolve("second").toString(), store, "Kotlin tests", null),
            "the client for the saved session",
        )
        restored.use { client ->
            assertEquals(signedIn, client.session(), "the saved session, homeserver included")
            assertEquals(bob.userId, client.whoami())
        }
    }

    @Test
    fun `a saved session with a damaged homeserver is a Storage error`() {
        val store = MemorySessionStore()
        store.save("""{"homeserver": "no url", "user_id": "@a:x", "device_id": "D", "access_token": "t"}""")
        assertThrows<MatrixPushException.Storage> {
            restoreClient(dir.toString(), store, null, null)
        }
    }

    @Test
    fun `routePush picks the account by the push's cs secret`() {
        val push = decodeFcm(mapOf("event_id" to "\$e", "room_id" to "!r:x", "unread" to "1", "cs" to "s-bob"))
        val alice = AccountRoute(account = "@alice:x", secret = "s-alice")
        val bob = AccountRoute(account = "@bob:x", secret = "s-bob")
        assertEquals(bob, routePush(push, listOf(alice, bob)))
        assertNull(routePush(push, listOf(alice)), "a push for a secret the app no longer knows")
        val bare = decodeFcm(mapOf("event_id" to "\$e", "room_id" to "!r:x", "unread" to "1"))
        assertEquals(alice, routePush(bare, listOf(alice)), "a lone account")
        assertNull(routePush(bare, listOf(alice, bob)), "two accounts and no secret")
        // A record whose JSON does not parse is an error.
        assertThrows<MatrixPushException.InvalidInput> { routePush(bare.copy(extraJson = "not json"), listOf(alice, bob)) }
    }
}
