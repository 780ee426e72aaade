package io.matrixpush.sample

import android.content.Context
import io.matrixpush.sample.logic.KeyValueStore

/**
 * The logic module's small, non-secret state (FCM token, routing secrets, known rooms) in
 * SharedPreferences. Written with commit(): the FCM service's process can be frozen right after
 * it returns, and a token it just received must not be lost.
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
