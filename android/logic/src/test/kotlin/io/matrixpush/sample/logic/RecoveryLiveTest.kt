package io.matrixpush.sample.logic

import io.matrixpush.testing.*

import io.matrixpush.Client
import io.matrixpush.core.LoginIdentifier
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** The recovery entry on a real client with built-in encryption, as the app makes it. */
class RecoveryLiveTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `an account that never set up recovery is told so`() = runBlocking {
        val bob = Synapse.register("bob")
        // Closed on this (non-library) thread with its crypto store open, as sign-out does.
        Client(Env.synapseUrl, dir.toString(), MemorySessionStore(), "android logic tests", null, encryption = true).use { client ->
            client.loginPassword(LoginIdentifier.User(bob.localpart), bob.password)
            val presenter = RecoveryPresenter(client::recover)

            presenter.submit("EsTc 1234 5678 9abc")

            assertEquals(
                RecoveryState.Failed("Not recovered: the account has no secret storage (set up recovery on another device first)."),
                presenter.state.value,
            )
        }
    }
}
