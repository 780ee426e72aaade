package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

class RulesSyncTest {
    @TempDir
    lateinit var dir: Path

    private class Collector : PushRulesListener {
        val changes = LinkedBlockingQueue<Pair<List<String>, String>>()
        override fun onRulesChanged(keywords: List<String>, rulesJson: String) {
            changes.put(keywords to rulesJson)
        }
    }

    @Test
    fun `the rules sync reports a new keyword`() = runBlocking<Unit> {
        val user = Synapse.register("rules")
        harnessClient(dir).use { client ->
            client.loginPassword(LoginIdentifier.User(user.localpart), user.password)
            val listener = Collector()
            val task = client.startPushRulesSync(5000uL, listener)
            try {
                assertTrue(task.isRunning())
                client.addKeyword("kotlin")
                val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15)
                val seen = mutableListOf<List<String>>()
                while (true) {
                    val left = deadline - System.nanoTime()
                    if (left <= 0) fail<Unit>("no callback with the keyword \"kotlin\" within 15 s; saw $seen")
                    val (keywords, rulesJson) = listener.changes.poll(left, TimeUnit.NANOSECONDS) ?: continue
                    seen += keywords
                    assertTrue(rulesJson.contains("\"global\""), "rules JSON: ${rulesJson.take(200)}")
                    if ("kotlin" in keywords) break
                }
                assertTrue(client.storedPushRulesJson()?.contains("kotlin") == true, "the synced rules were saved")
            } finally {
                task.cancel()
            }
            // Cancelling aborts the task; it finishes shortly after.
            val until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5)
            while (task.isRunning() && System.nanoTime() < until) Thread.sleep(20)
            assertFalse(task.isRunning(), "the sync stopped after cancel()")
            task.close()
        }
    }
}
