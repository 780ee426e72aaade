package io.matrixpush.sample.logic

import io.matrixpush.MatrixPushException
import io.matrixpush.core.Recovery
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow

/** The "Recover encrypted messages" entry of the settings screen. */
sealed interface RecoveryState {
    /** Nothing tried yet. */
    data object Idle : RecoveryState

    /** `recover` is running. */
    data object Working : RecoveryState

    /** The account's encryption is recovered on this device; [message] says what that set up. */
    data class Recovered(val message: String) : RecoveryState

    /** Not recovered; [message] is for the user. */
    data class Failed(val message: String) : RecoveryState
}

/**
 * Recovers the account's encryption with the recovery key another client (Element, say) showed
 * the user: `Client.recover`, which cross-signs this device and turns on reading room keys from
 * the server-side key backup.
 *
 * The key is a secret: it only passes through [recover] — never in [state], never logged, never
 * saved (the library keeps only what it opens, in its crypto store).
 *
 * @param recover `Client::recover` of the signed-in account's client.
 */
class RecoveryPresenter(private val recover: suspend (recoveryKey: String) -> Recovery) {
    private val _state = MutableStateFlow<RecoveryState>(RecoveryState.Idle)
    val state: StateFlow<RecoveryState> = _state.asStateFlow()

    /** Recovers with [recoveryKey] (the base58 key, spaces and all, or its passphrase, as typed). */
    suspend fun submit(recoveryKey: String) {
        if (_state.value == RecoveryState.Working) return
        if (recoveryKey.isBlank()) {
            _state.value = RecoveryState.Failed("Enter the recovery key first.")
            return
        }
        _state.value = RecoveryState.Working
        _state.value = try {
            // As typed: a passphrase may mean its spaces; the library reads the key's own spacing.
            RecoveryState.Recovered(recoveryMessage(recover(recoveryKey)))
        } catch (e: MatrixPushException) {
            RecoveryState.Failed(userMessage(e))
        }
    }

    companion object {
        /** What a successful recovery set up, for the user. */
        fun recoveryMessage(recovery: Recovery): String {
            val backup = recovery.backupVersion
            return when {
                recovery.crossSigned && backup != null ->
                    "This device is verified; missing keys are read from backup (version $backup)."
                recovery.crossSigned ->
                    "This device is verified. The account has no key backup, so older messages may stay unreadable."
                backup != null ->
                    "Missing keys are read from backup (version $backup). Secret storage held no cross-signing keys: this device is not verified."
                else -> "The recovery key was accepted, but secret storage held neither cross-signing keys nor a backup key."
            }
        }
    }
}
