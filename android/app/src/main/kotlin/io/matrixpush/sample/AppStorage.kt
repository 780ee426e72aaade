package io.matrixpush.sample

/**
 * Where the app keeps what, in one place, because the backup rules (res/xml/data_extraction_rules.xml
 * and backup_rules.xml) must name the same files: what identifies this device to the homeserver
 * stays on this device. Backed up or moved to a new phone, the session would make the new phone
 * the old device (and its pusher rotation would take the old phone's pushes away), and the
 * routing secret and pushkeys would point pushes at the wrong install. AppStorageTest checks the
 * rules against these names.
 */
object AppStorage {
    /** SharedPreferences: the session (tokens), encrypted with a Keystore key (KeystoreSessionStore). */
    const val SESSION_PREFS = "matrix-push-session"

    /** SharedPreferences: the push address, registered pushers and routing secrets (PushSetup). */
    const val PUSH_PREFS = "matrix-push-sample"

    /** SharedPreferences: the user's choices (transport); harmless to back up. */
    const val SETTINGS_PREFS = "settings"

    /** Under filesDir: the library's store (account state, rules, caches, the session lock). */
    const val FFI_STORE_DIR = "matrix-push"
}
