package io.matrixpush.sample.logic

import io.matrixpush.MatrixPushException
import io.matrixpush.core.Recovery
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The recovery entry on a stand-in for `Client.recover` (the library's own tests recover for real). */
class RecoveryPresenterTest {
    private val key = "EsTc 1234 abcd"

    @Test
    fun `a recovered account says the device is verified and which backup it reads`() = runBlocking {
        val keys = mutableListOf<String>()
        val presenter = RecoveryPresenter { keys += it; Recovery(crossSigned = true, backupVersion = "3") }
        assertEquals(RecoveryState.Idle, presenter.state.value)

        presenter.submit(key)

        assertEquals(listOf(key), keys, "the key as typed, spaces and all")
        assertEquals(
            RecoveryState.Recovered("This device is verified; missing keys are read from backup (version 3)."),
            presenter.state.value,
        )
    }

    @Test
    fun `a rejected key is said plainly, and the key is nowhere in the state`() = runBlocking {
        val presenter = RecoveryPresenter {
            throw MatrixPushException.RecoveryKeyRejected("the recovery key does not open the account's secret storage")
        }

        presenter.submit(key)

        val state = presenter.state.value
        assertEquals(RecoveryState.Failed("Not recovered: the recovery key does not open the account's secret storage."), state)
        assertFalse(state.toString().contains(key))
    }

    @Test
    fun `other failures get the usual sentence`() = runBlocking {
        val presenter = RecoveryPresenter { throw MatrixPushException.Network("connection refused") }
        presenter.submit(key)
        assertEquals(RecoveryState.Failed("Cannot reach the server. Check the connection."), presenter.state.value)
    }

    @Test
    fun `an empty key is not sent`() = runBlocking {
        var calls = 0
        val presenter = RecoveryPresenter { calls++; Recovery(true, null) }
        presenter.submit("   ")
        assertEquals(0, calls)
        assertEquals(RecoveryState.Failed("Enter the recovery key first."), presenter.state.value)
    }

    @Test
    fun `working while recover runs, and a second tap meanwhile does nothing`() = runBlocking {
        val answer = CompletableDeferred<Recovery>()
        var calls = 0
        val presenter = RecoveryPresenter { calls++; answer.await() }

        val first = async { presenter.submit(key) }
        yield()
        assertEquals(RecoveryState.Working, presenter.state.value)
        presenter.submit(key)
        answer.complete(Recovery(crossSigned = true, backupVersion = null))
        first.await()

        assertEquals(1, calls)
        assertTrue(presenter.state.value is RecoveryState.Recovered)
    }

    @Test
    fun `each outcome of recovery has its own message`() {
        val messages = listOf(
            Recovery(true, "1"), Recovery(true, null), Recovery(false, "1"), Recovery(false, null),
        ).map(RecoveryPresenter::recoveryMessage)
        assertEquals(4, messages.toSet().size, "$messages")
        assertTrue(messages[1].startsWith("This device is verified."))
        assertTrue(messages[2].contains("not verified"))
    }
}
