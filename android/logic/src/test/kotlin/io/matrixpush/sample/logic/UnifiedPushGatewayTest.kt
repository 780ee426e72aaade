package io.matrixpush.sample.logic

import com.sun.net.httpserver.HttpServer
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.net.InetSocketAddress

/**
 * Gateway discovery through the library, against a real HTTP server on loopback standing for a
 * distributor's push server (ntfy answers the same request).
 */
class UnifiedPushGatewayTest {
    private var server: HttpServer? = null

    @AfterEach
    fun stop() {
        server?.stop(0)
    }

    /** A server answering the discovery request with [status] and [body]; returns its base URL. */
    private fun serve(status: Int, body: String): String {
        val s = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        s.createContext("/_matrix/push/v1/notify") { exchange ->
            val bytes = body.toByteArray()
            exchange.sendResponseHeaders(status, bytes.size.toLong())
            exchange.responseBody.use { it.write(bytes) }
        }
        s.start()
        server = s
        return "http://127.0.0.1:${s.address.port}"
    }

    @Test
    fun `the endpoint's own server is the gateway when it says it is a Matrix one`() = runBlocking<Unit> {
        val base = serve(200, """{"unifiedpush":{"gateway":"matrix"}}""")
        assertEquals(
            "$base/_matrix/push/v1/notify",
            UnifiedPushGateway.discover("$base/upAbC?up=1", fallback = UnifiedPushGateway.FALLBACK_GATEWAY),
        )
    }

    @Test
    fun `otherwise the fallback gateway, within the deadline`() = runBlocking<Unit> {
        val fallback = UnifiedPushGateway.FALLBACK_GATEWAY
        val notMatrix = serve(200, """{"unifiedpush":{"gateway":"webpush"}}""")
        assertEquals(fallback, UnifiedPushGateway.discover("$notMatrix/up"))
        stop()
        val missing = serve(404, """{"errcode":"M_UNRECOGNIZED"}""")
        assertEquals(fallback, UnifiedPushGateway.discover("$missing/up"))
        stop()
        // Nothing listens there any more.
        val started = System.currentTimeMillis()
        assertEquals(fallback, UnifiedPushGateway.discover("$missing/up", deadlineMs = 2_000))
        assertTrue(System.currentTimeMillis() - started < 3_000)
        assertEquals(fallback, UnifiedPushGateway.discover("not a url"))
    }
}
