import Foundation
import MatrixPush
import MatrixPushNotifications

/// What an "Encrypted message" notification adds under its text: why the event stayed encrypted,
/// said as what would make it readable. Only the reasons the user can act on (or should know
/// about) get a line: a notification is no error log, the full reason is in the library's log.
public enum EncryptedNotice {
    /// The short line for `reason`, or nil when there is nothing useful to say.
    public static func hint(for reason: UndecryptableReason?) -> String? {
        switch reason {
        case .missingRoomKey(let withheldCode):
            switch withheldCode {
            case nil: return "Key not here yet — Settings › Recover reads it from backup"
            // The sender shares keys only with verified devices: recovery cross-signs this one.
            case "m.unverified": return "Verify this device to read it — Settings › Recover"
            // m.blacklisted, m.unauthorised, m.no_olm: the sender decided; recovery does not help.
            default: return "The sender did not share the key with this device"
            }
        // The key this device has starts later: the backup may hold the earlier part.
        case .unknownMessageIndex: return "Sent before this device had the key — Settings › Recover"
        case .untrustedSender: return "The sender's device is not trusted"
        case .outOfTime: return "Not decrypted in time — open the app to read it"
        case .malformed: return "The message is damaged"
        // Encryption is off in this build: nothing the user can do here.
        case .noDecryption, nil: return nil
        // .unavailable and .appDecryptorFailed: neither is the user's to fix, and the store
        // error's wording is not for them. A reason a newer library adds lands here too (the enum
        // may grow): a generic line is right for it until it gets its own.
        default: return "Could not be decrypted now"
        }
    }

    /// `content` with the hint as the second line of its body, for an encrypted notification
    /// with a reason worth a line; otherwise `content` as it is.
    public static func annotate(_ content: NotificationContent, for notification: PushNotification) -> NotificationContent {
        guard case .encrypted = notification.kind, let hint = hint(for: notification.undecryptable) else {
            return content
        }
        var content = content
        content.body = content.body.isEmpty ? hint : "\(content.body)\n\(hint)"
        return content
    }
}
