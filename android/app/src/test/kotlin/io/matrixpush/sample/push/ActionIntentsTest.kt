package io.matrixpush.sample.push

import android.app.PendingIntent
import io.matrixpush.sample.logic.ActionKind
import io.matrixpush.sample.logic.ActionRequest
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotSame
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config

/**
 * The buttons' intents as Android sees them: one PendingIntent per account, room and action
 * (Intent.filterEquals, which PendingIntent uses, ignores extras), immutable, and the request read
 * back from what the receiver gets.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36])
class ActionIntentsTest {
    private val context get() = RuntimeEnvironment.getApplication()
    private val read = ActionRequest(ActionKind.MARK_READ, "@bob:example.org", "!room:example.org", "\$ev/1+2")

    @Test
    fun `each room and action has its own intent, the same button the same one`() {
        val requests = listOf(
            read,
            read.copy(roomId = "!other:example.org"),
            read.copy(accountId = "@carol:example.org"),
            ActionRequest(ActionKind.ACCEPT, "@bob:example.org", "!room:example.org", null),
            ActionRequest(ActionKind.DECLINE, "@bob:example.org", "!room:example.org", null),
        )
        val intents = requests.map { ActionReceiver.intentFor(context, it) }
        for (i in intents.indices) for (j in intents.indices) {
            assertEquals("$i vs $j", i == j, intents[i].filterEquals(intents[j]))
        }
        assertTrue(ActionReceiver.intentFor(context, read).filterEquals(ActionReceiver.intentFor(context, read.copy())))
    }

    @Test
    fun `the receiver reads the request back, reserved characters included`() {
        val intent = ActionReceiver.intentFor(context, read)
        assertEquals(ActionReceiver::class.java.name, intent.component!!.className)
        assertEquals(read, ActionRequest.fromUri(intent.dataString))
    }

    @Test
    fun `the pending intents are immutable and distinct`() {
        val flags = PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT
        val a = PendingIntent.getBroadcast(context, 0, ActionReceiver.intentFor(context, read), flags)
        val b = PendingIntent.getBroadcast(context, 0, ActionReceiver.intentFor(context, read.copy(roomId = "!b:x")), flags)
        assertTrue(a.isImmutable)
        assertNotSame(a, b)
        assertFalse(a == b)
    }
}
