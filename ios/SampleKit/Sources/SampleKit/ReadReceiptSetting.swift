import Foundation

/// The user's choice of read receipt for a notification's "Mark as Read" (the settings screen's
/// "Private read receipts" switch), kept in the app's `UserDefaults` (the app runs the button, so
/// the app group's defaults are not needed): a public receipt (`m.read`, the default, as Matrix
/// clients send them: the room's members see how far the user has read) or a private one
/// (`m.read.private`: only the user's own devices see it). Either way the fully-read marker moves
/// and the server's unread count drops.
public struct ReadReceiptSetting {
    public static let key = "privateReadReceipts"

    private let defaults: UserDefaults

    public init(defaults: UserDefaults = .standard) {
        self.defaults = defaults
    }

    /// Whether `Client.markRead(roomId:eventId:visibility:)` gets `.private`; false until the user
    /// turns it on.
    public var privateReceipts: Bool {
        get { defaults.bool(forKey: Self.key) }
        nonmutating set { defaults.set(newValue, forKey: Self.key) }
    }
}
