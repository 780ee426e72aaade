package io.matrixpush.sample.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

class ActionRequestTest {
    @Test
    fun `requests survive their URI form, ids with reserved characters included`() {
        val requests = listOf(
            ActionRequest(ActionKind.MARK_READ, "@bob:example.org", "!room:example.org", "\$ev/ent+1=2&x"),
            ActionRequest(ActionKind.ACCEPT, "@bob:example.org", "!room:example.org", null),
            ActionRequest(ActionKind.DECLINE, "@bob:example.org", "!other:example.org", "\$e"),
        )
        requests.forEach { assertEquals(it, ActionRequest.fromUri(it.toUri()), it.toUri()) }
    }

    @Test
    fun `each room and action has its own URI, so its own PendingIntent`() {
        val uris = listOf(
            ActionRequest(ActionKind.MARK_READ, "@a:x", "!r1:x", "\$e"),
            ActionRequest(ActionKind.MARK_READ, "@a:x", "!r2:x", "\$e"),
            ActionRequest(ActionKind.MARK_READ, "@b:x", "!r1:x", "\$e"),
            ActionRequest(ActionKind.ACCEPT, "@a:x", "!r1:x", null),
            ActionRequest(ActionKind.DECLINE, "@a:x", "!r1:x", null),
        ).map { it.toUri() }
        assertEquals(uris.size, uris.toSet().size, "$uris")
        assertNotEquals(uris[0], uris[1])
    }

    @Test
    fun `anything else is no request`() {
        assertNull(ActionRequest.fromUri(null))
        assertNull(ActionRequest.fromUri("https://action/mark_read?account=a&room=b&event=c"))
        assertNull(ActionRequest.fromUri("matrixpush://action/explode?account=a&room=b"))
        assertNull(ActionRequest.fromUri("matrixpush://action/mark_read?account=a&room=b"), "mark as read needs the event")
        assertNull(ActionRequest.fromUri("matrixpush://action/accept?room=b"))
    }
}
