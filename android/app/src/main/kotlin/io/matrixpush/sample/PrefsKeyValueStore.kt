package io.matrixpush.sample

import android.content.Context
import io.matrixpush.sample.logic.KeyValueStore

/**
 * The logic module's small state (push address, registered pushers, routing secrets) in
 * SharedPreferences. Written with commit(): the push services' process can be frozen right after
 * they return, and an address just received must not be lost.
 */
class PrefsKeyValueStore(context: Context, name: String) : KeyValueStore {
    private val prefs = context.getSharedPreferences(name, Context.MODE_PRIVATE)

    override fun get(key: String): String? = prefs.getString(key, null)

    override fun put(key: String, value: String?) {
        val editor = prefs.edit()
        if (value == null) editor.remove(key) else editor.putString(key, value)
        editor.commit()
    }
}
