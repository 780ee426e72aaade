package io.matrixpush.sample.logic

import io.matrixpush.testing.*

import io.matrixpush.Client
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

class SignInLiveTest {
    @TempDir
    lateinit var dir: Path

    private val sessions = MemorySessionStore()
    private val signIn = SignIn(newClient = { url -> Client(url, dir.toString(), sessions, "Pixel (logic tests)", null) })

    @Test
    fun `a user id finds its homeserver and signs in, and the session can be restored`() = runBlocking<Unit> {
        val user = Synapse.register("signin")
        val result = signIn.signIn(user.userId, user.password)
        val signedIn = assertInstanceOf(SignInResult.SignedIn::class.java, result, "$result")
        signedIn.client.use { client ->
            assertEquals(user.userId, signedIn.session.userId)
            assertEquals(user.userId, client.whoami())
        }
        // The next start: a client for the saved homeserver URL restores the saved session.
        Client(signedIn.homeserverUrl, dir.toString(), sessions, "Pixel (logic tests)", null).use { restored ->
            assertEquals(user.userId, restored.restoreSession()?.userId)
            assertEquals(user.userId, restored.whoami())
        }
    }

    @Test
    fun `a wrong password and bad input are explained`() = runBlocking<Unit> {
        val user = Synapse.register("wrongpw")
        assertEquals(
            SignInResult.Failed("Wrong user name or password."),
            signIn.signIn(user.localpart, "not the password", server = Env.synapseUrl),
        )
        assertEquals(SignInResult.Failed("Enter a user name and a password."), signIn.signIn("", "x"))
        assertEquals(
            SignInResult.Failed("Enter a full user id (@name:server) or the server."),
            signIn.signIn("alice", "secret"),
        )
    }
}
