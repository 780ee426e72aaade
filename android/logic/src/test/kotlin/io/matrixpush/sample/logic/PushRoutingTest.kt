package io.matrixpush.sample.logic

import io.matrixpush.decodeFcm
import io.matrixpush.decodeGateway
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Test

/** PushRouting over the library's routePush, on decoded pushes (no homeserver needed). */
class PushRoutingTest {
    private fun fcm(extra: Map<String, String> = emptyMap()) =
        decodeFcm(mapOf("event_id" to "\$e", "room_id" to "!r:x", "unread" to "1") + extra)

    private val alice = AccountRoute("@alice:x", secret = "s-alice")
    private val bob = AccountRoute("@bob:x", secret = "s-bob")

    @Test
    fun `the push's cs secret picks the account`() {
        assertSame(bob, PushRouting.route(fcm(mapOf("cs" to "s-bob")), listOf(alice, bob)))
        assertSame(alice, PushRouting.route(fcm(mapOf("cs" to "s-alice")), listOf(alice, bob)))
    }

    @Test
    fun `a lone account takes every push but one for another secret`() {
        assertSame(alice, PushRouting.route(fcm(), listOf(alice)))
        assertNull(PushRouting.route(fcm(mapOf("cs" to "gone")), listOf(alice)), "a push for a pusher the app no longer knows")
        val fresh = AccountRoute("@new:x", secret = null)
        assertSame(fresh, PushRouting.route(fcm(mapOf("cs" to "s")), listOf(fresh)))
        assertNull(PushRouting.route(fcm(), listOf(alice, bob)), "two accounts and no secret: unknown")
        assertNull(PushRouting.route(fcm(), emptyList()))
    }

    @Test
    fun `gateway pushes fall back to the pushkey, then the app id`() {
        fun gateway(pushkey: String, appId: String) = decodeGateway(
            """{"notification": {"event_id": "${'$'}e", "room_id": "!r:x", "counts": {"unread": 1},
               "devices": [{"app_id": "$appId", "pushkey": "$pushkey"}]}}""",
        )
        val a = AccountRoute("@a:x", secret = null, pushkey = "key-a", appId = "app.one")
        val b = AccountRoute("@b:x", secret = null, pushkey = "key-b", appId = "app.one")
        assertSame(b, PushRouting.route(gateway("key-b", "app.one"), listOf(a, b)))
        // Routes that do not know their pushkey contradict no pushkey: the app id decides.
        val c = AccountRoute("@c:x", secret = null, appId = "app.two")
        val d = AccountRoute("@d:x", secret = null, appId = "app.one")
        assertSame(c, PushRouting.route(gateway("unknown", "app.two"), listOf(a, b, c, d)))
        assertSame(d, PushRouting.route(gateway("unknown", "app.one"), listOf(a, b, c, d)))
        val e = AccountRoute("@e:x", secret = null, appId = "app.one")
        assertNull(PushRouting.route(gateway("unknown", "app.one"), listOf(c, d, e)), "two routes share the app id")
    }

    @Test
    fun `equal routes still map back to one of the app's own`() {
        val twin = alice.copy()
        val chosen = PushRouting.route(fcm(mapOf("cs" to "s-alice")), listOf(twin, alice))
        assertSame(twin, chosen, "the first match, as the library chooses")
        assertEquals(alice, chosen)
    }
}
