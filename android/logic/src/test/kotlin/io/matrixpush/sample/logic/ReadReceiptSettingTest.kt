package io.matrixpush.sample.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ReadReceiptSettingTest {
    @Test
    fun `receipts are public until the user asks for private ones, and the choice is kept`() {
        val store = MemoryKeyValueStore()
        assertFalse(ReadReceiptSetting(store).privateReceipts, "m.read by default, as Matrix clients send")
        ReadReceiptSetting(store).privateReceipts = true
        assertTrue(ReadReceiptSetting(store).privateReceipts, "read back by a new instance (another process start)")
        assertEquals("true", store.get(ReadReceiptSetting.KEY))
        ReadReceiptSetting(store).privateReceipts = false
        assertFalse(ReadReceiptSetting(store).privateReceipts)
        assertNull(store.get(ReadReceiptSetting.KEY), "off is the default: nothing stored")
    }
}
