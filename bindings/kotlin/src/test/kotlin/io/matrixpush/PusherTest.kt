package io.matrixpush

import io.matrixpush.core.*
import io.matrixpush.testing.*

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

class PusherTest {
    @TempDir
    lateinit var dir: Path

    private fun pusher(gatewayUrl: String = "http://127.0.0.1:9/_matrix/push/v1/notify") = Pusher(
        pushkey = "kotlin-token",
        appId = "io.matrixpush.tests.fcm",
        appDisplayName = "matrix-push Kotlin tests",
        deviceDisplayName = "JVM",
        profileTag = null,
        lang = "en",
        gatewayUrl = gatewayUrl,
        format = "event_id_only",
        defaultPayloadJson = null,
    )

    @Test
    fun `ensurePusher creates once, then is unchanged, and pushers() lists it`() = runBlocking<Unit> {
        val user = Synapse.register("pusher")
        harnessClient(dir).use { client ->
            client.loginPassword(LoginIdentifier.User(user.userId), user.password)
            val first = client.ensurePusher(pusher())
            assertEquals(EnsureOutcome.CREATED, first)
            assertEquals(EnsureOutcome.UNCHANGED, client.ensurePusher(pusher()))

            val listed = client.pushers()
            val mine = assertPresent(listed.singleOrNull { it.pushkey == "kotlin-token" }, "pushers(): $listed")
            assertEquals("io.matrixpush.tests.fcm", mine.appId)
            assertEquals("http://127.0.0.1:9/_matrix/push/v1/notify", mine.gatewayUrl)
            assertEquals("event_id_only", mine.format)
            assertEquals("en", mine.lang)
        }
    }

    @Test
    fun `a pusher read with pushers() and passed back to ensurePusher is unchanged and keeps its extra data`() = runBlocking<Unit> {
        val user = Synapse.register("pusherdata")
        harnessClient(dir).use { client ->
            client.loginPassword(LoginIdentifier.User(user.userId), user.password)
            val withData = pusher().copy(
                defaultPayloadJson = """{"cs":"secret-1"}""",
                extraDataJson = """{"brand":"sample","nested":{"n":1}}""",
            )
            assertEquals(EnsureOutcome.CREATED, client.ensurePusher(withData))
            val read = assertPresent(client.pushers().singleOrNull { it.pushkey == "kotlin-token" }, "pushers()")
            assertTrue(read.extraDataJson.contains("\"brand\":\"sample\""), "extra data: ${read.extraDataJson}")
            assertEquals(EnsureOutcome.UNCHANGED, client.ensurePusher(read), "what pushers() read is what the server has")
            val again = assertPresent(client.pushers().singleOrNull { it.pushkey == "kotlin-token" }, "pushers()")
            assertEquals(read, again, "nothing was wiped")
            assertThrows<MatrixPushException.InvalidInput> { runBlocking { client.ensurePusher(read.copy(extraDataJson = "[1]")) } }
        }
    }

    @Test
    fun `a pusher whose gateway path is wrong is InvalidInput`() = runBlocking<Unit> {
        val user = Synapse.register("badpusher")
        harnessClient(dir).use { client ->
            client.loginPassword(LoginIdentifier.User(user.localpart), user.password)
            val error = assertThrows<MatrixPushException.InvalidInput> {
                runBlocking { client.ensurePusher(pusher(gatewayUrl = "http://127.0.0.1:9/push/notify")) }
            }
            assertTrue(error.message.isNotEmpty(), "a reason")
            assertEquals(emptyList<Pusher>(), client.pushers(), "nothing was registered")
        }
    }

    @Test
    fun `rotatePusher moves across app ids, as when FCM tokens give way to installation ids`() = runBlocking<Unit> {
        val user = Synapse.register("pusherkind")
        harnessClient(dir).use { client ->
            client.loginPassword(LoginIdentifier.User(user.userId), user.password)
            client.ensurePusher(pusher())
            val fid = pusher().copy(pushkey = "kotlin-fid", appId = "io.matrixpush.tests.fcm.fid")
            client.rotatePusher("io.matrixpush.tests.fcm", "kotlin-token", fid)
            assertEquals(listOf("io.matrixpush.tests.fcm.fid" to "kotlin-fid"), client.pushers().map { it.appId to it.pushkey })
        }
    }

    @Test
    fun `UnifiedPush gateway discovery falls back when the push server has no Matrix gateway`() = runBlocking<Unit> {
        val fallback = "https://matrix.gateway.unifiedpush.org/_matrix/push/v1/notify"
        // Nothing answers on port 9 of loopback: the fallback, within the deadline.
        assertEquals(fallback, discoverUnifiedPushGateway("http://127.0.0.1:9/up/topic?up=1", fallback, 2_000uL))
        assertThrows<MatrixPushException.InvalidInput> {
            runBlocking { discoverUnifiedPushGateway("not an endpoint", fallback, 2_000uL) }
        }
    }
}
