import Foundation
import MatrixPush

/// What the settings screen says after "Recover encrypted messages" (`Client.recover`): what the
/// recovery set up, or why it failed. The recovery key itself is never part of it.
public enum RecoveryText {
    /// A successful recovery, for the user.
    public static func message(for recovery: Recovery) -> String {
        switch (recovery.crossSigned, recovery.backupVersion) {
        case (true, let version?):
            return "This device is verified; missing keys are read from backup (version \(version))."
        case (true, nil):
            return "This device is verified. The account has no key backup, so older messages may stay unreadable."
        case (false, let version?):
            return "Missing keys are read from backup (version \(version)). Secret storage held no cross-signing keys: this device is not verified."
        case (false, nil):
            return "The recovery key was accepted, but secret storage held neither cross-signing keys nor a backup key."
        }
    }

    /// A rejected key (`MatrixPushError.RecoveryKeyRejected`): `detail` says which, a wrong key
    /// or an account whose recovery was never set up.
    public static func rejected(detail: String) -> String {
        "Not recovered: \(detail)."
    }

    /// Whether `key` is worth sending: not blank. It is sent as typed (a passphrase may mean its
    /// spaces; the library reads a key's own spacing).
    public static func canSubmit(_ key: String) -> Bool {
        !key.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }
}
