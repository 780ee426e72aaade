package io.matrixpush.sample

import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config

/** The logic module's KeyValueStore on SharedPreferences, under Robolectric's Android 16. */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36])
class PrefsKeyValueStoreTest {
    private val context get() = RuntimeEnvironment.getApplication()

    @Test
    fun `values are written through and read back by a new instance`() {
        val store = PrefsKeyValueStore(context, "test-prefs")
        assertNull(store.get("pushkey"))
        store.put("pushkey", "token-1")
        assertEquals("token-1", store.get("pushkey"))
        // A new instance (a new process, as far as the file goes) sees what was committed.
        assertEquals("token-1", PrefsKeyValueStore(context, "test-prefs").get("pushkey"))
        store.put("pushkey", null)
        assertNull(PrefsKeyValueStore(context, "test-prefs").get("pushkey"))
    }

    @Test
    fun `stores of different names do not share keys`() {
        PrefsKeyValueStore(context, "a").put("k", "1")
        assertNull(PrefsKeyValueStore(context, "b").get("k"))
    }
}
