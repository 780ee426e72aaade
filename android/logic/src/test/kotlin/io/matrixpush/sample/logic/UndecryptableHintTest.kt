package io.matrixpush.sample.logic

import io.matrixpush.core.UndecryptableReason
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class UndecryptableHintTest {
    @Test
    fun `a key withheld from unverified devices points to recovery`() {
        assertEquals(
            "Verify this device to read it — Settings › Recover",
            undecryptableHint(UndecryptableReason.MissingRoomKey("m.unverified")),
        )
    }

    @Test
    fun `a key that may be in the backup points to recovery, a key the sender refused does not`() {
        listOf(UndecryptableReason.MissingRoomKey(null), UndecryptableReason.UnknownMessageIndex).forEach { reason ->
            assertTrue(undecryptableHint(reason)!!.contains("Settings › Recover"), "$reason")
        }
        listOf("m.blacklisted", "m.unauthorised", "m.no_olm").forEach { code ->
            assertEquals(
                "The sender did not share the key with this device",
                undecryptableHint(UndecryptableReason.MissingRoomKey(code)),
            )
        }
    }

    @Test
    fun `nothing to say without a reason or without decryption, and never the store's wording`() {
        assertNull(undecryptableHint(null))
        assertNull(undecryptableHint(UndecryptableReason.NoDecryption))
        assertEquals("Could not be decrypted now", undecryptableHint(UndecryptableReason.Unavailable("sqlite: disk I/O error")))
    }

    @Test
    fun `every other reason has a short line`() {
        listOf(
            UndecryptableReason.UntrustedSender,
            UndecryptableReason.Malformed,
            UndecryptableReason.AppDecryptorFailed,
            UndecryptableReason.OutOfTime,
        ).forEach { reason ->
            val hint = undecryptableHint(reason)
            assertNotNull(hint, "$reason")
            assertTrue(hint!!.length <= 60, "short enough for one line: $hint")
        }
    }
}
