package io.matrixpush.sample.logic

import java.util.concurrent.ConcurrentHashMap

/**
 * The small, non-secret state the app keeps (the FCM token, each account's routing secret and
 * homeserver). On Android: SharedPreferences (`PrefsKeyValueStore` in the app).
 */
interface KeyValueStore {
    fun get(key: String): String?

    /** Stores [value], or removes the key when it is null. */
    fun put(key: String, value: String?)
}

/** In memory (tests, previews). */
class MemoryKeyValueStore : KeyValueStore {
    private val values = ConcurrentHashMap<String, String>()

    override fun get(key: String): String? = values[key]

    override fun put(key: String, value: String?) {
        if (value == null) values.remove(key) else values[key] = value
    }
}
