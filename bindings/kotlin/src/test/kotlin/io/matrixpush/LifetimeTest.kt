package io.matrixpush

import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** Objects are freed by close()/use {}; a closed object throws instead of crashing. */
class LifetimeTest {
    @TempDir
    lateinit var dir: Path

    // No request is made: any http URL will do, no server needed.
    private fun client(i: Int) =
        Client("http://127.0.0.1:9", dir.resolve("c$i").toString(), MemorySessionStore(), "lifetime $i", null)

    @Test
    fun `a hundred clients created and closed`() {
        repeat(100) { i ->
            val c = client(i)
            assertNull(c.session())
            c.close()
            assertTrue(c.uniffiIsDestroyed)
            c.close()   // twice is harmless
        }
        repeat(100) { i ->
            client(i).use { c -> assertNull(c.restoreSession()) }
        }
    }

    @Test
    fun `calling a closed client throws`() {
        val c = client(0)
        c.close()
        val sync = assertThrows<IllegalStateException> { c.session() }
        assertTrue(sync.message!!.contains("destroyed"), sync.message)
        assertThrows<IllegalStateException> { runBlocking { c.whoami() } }
        assertThrows<IllegalStateException> { c.startPushRulesSync(1000uL, object : PushRulesListener {
            override fun onRulesChanged(keywords: List<String>, rulesJson: String) {}
        }) }
    }

    @Test
    fun `a method on a client that is not signed in is NotSignedIn`() {
        client(1).use { c ->
            assertThrows<MatrixPushException.NotSignedIn> { runBlocking { c.whoami() } }
        }
    }
}
