package io.matrixpush.sample

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import android.util.Log
import io.matrixpush.SessionStore
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The session (access and refresh tokens, as the library's opaque JSON) encrypted with an AES-256
 * key that never leaves the Android Keystore, and kept in SharedPreferences as
 * `v1:<base64 IV>:<base64 ciphertext+tag>` (AES/GCM).
 *
 * The library calls these methods from its own threads, and a refresh may save a new session at
 * any time (so a save must be on disk before it returns: commit(), not apply()). They must not
 * throw: a failure is logged, and a session that cannot be decrypted (the key was lost, e.g.
 * after a restore on another device) reads as none, which means "sign in again".
 */
class KeystoreSessionStore(context: Context, account: String) : SessionStore {
    private val prefs = context.getSharedPreferences(AppStorage.SESSION_PREFS, Context.MODE_PRIVATE)
    private val prefKey = "session:$account"
    private val keyAlias = "io.matrixpush.sample.session.$account"

    @Synchronized
    override fun load(): String? {
        val stored = prefs.getString(prefKey, null) ?: return null
        return try {
            decrypt(stored)
        } catch (e: GeneralSecurityException) {
            Log.w(TAG, "the saved session cannot be decrypted: signed out", e)
            prefs.edit().remove(prefKey).commit()
            null
        } catch (e: IllegalArgumentException) {
            Log.w(TAG, "the saved session is malformed: signed out", e)
            prefs.edit().remove(prefKey).commit()
            null
        }
    }

    @Synchronized
    override fun save(session: String) {
        try {
            if (!prefs.edit().putString(prefKey, encrypt(session)).commit()) {
                Log.e(TAG, "the session could not be written")
            }
        } catch (e: GeneralSecurityException) {
            Log.e(TAG, "the session could not be encrypted", e)
        }
    }

    @Synchronized
    override fun clear() {
        prefs.edit().remove(prefKey).commit()
    }

    private fun encrypt(plain: String): String {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, key())   // the Keystore picks a fresh random IV
        val sealed = cipher.doFinal(plain.toByteArray(Charsets.UTF_8))
        return "v1:${b64(cipher.iv)}:${b64(sealed)}"
    }

    private fun decrypt(stored: String): String {
        val parts = stored.split(':')
        require(parts.size == 3 && parts[0] == "v1") { "unknown format" }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(128, unb64(parts[1])))
        return String(cipher.doFinal(unb64(parts[2])), Charsets.UTF_8)
    }

    private fun key(): SecretKey {
        val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        (keyStore.getKey(keyAlias, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(keyAlias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                // Usable while the device is locked: pushes arrive (and tokens refresh) then too.
                .setUserAuthenticationRequired(false)
                .build(),
        )
        return generator.generateKey()
    }

    private fun b64(bytes: ByteArray) = Base64.encodeToString(bytes, Base64.NO_WRAP)
    private fun unb64(text: String) = Base64.decode(text, Base64.NO_WRAP)

    private companion object {
        const val TAG = "SessionStore"
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
    }
}
