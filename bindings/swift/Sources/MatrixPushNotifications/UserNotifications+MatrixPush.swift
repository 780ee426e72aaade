// The UserNotifications side of MatrixPushNotifications: writing a NotificationContent into
// UNMutableNotificationContent, removing delivered notifications, registering the categories.
// Compiled only on Apple platforms (Linux has no UserNotifications); everything it decides is
// made by the platform-neutral code the Linux tests cover.
#if canImport(UserNotifications) && (os(iOS) || os(macOS))
import Foundation
import UserNotifications

extension InterruptionLevel {
    public var unInterruptionLevel: UNNotificationInterruptionLevel {
        switch self {
        case .passive: return .passive
        case .active: return .active
        case .timeSensitive: return .timeSensitive
        }
    }
}

extension NotificationContent {
    /// The sound to play: the system sound for `"default"`, the bundled `<name>.caf` otherwise.
    public var unSound: UNNotificationSound? {
        guard let soundName else { return nil }
        if soundName == "default" { return .default }
        return UNNotificationSound(named: UNNotificationSoundName("\(soundName).caf"))
    }

    /// Writes this content into `content` (keeping its other `userInfo`).
    public func apply(to content: UNMutableNotificationContent) {
        content.title = title
        content.subtitle = subtitle
        content.body = body
        content.sound = unSound
        content.threadIdentifier = threadIdentifier
        content.interruptionLevel = interruptionLevel.unInterruptionLevel
        content.badge = badge.map { NSNumber(value: $0) }
        content.categoryIdentifier = categoryIdentifier ?? ""
        var info = content.userInfo
        for (key, value) in userInfo { info[key] = value }
        content.userInfo = info
    }
}

extension PushResponse {
    /// What to hand the extension's content handler. With nothing to show this is an empty
    /// content (only the badge): iOS then drops the notification if the extension has the
    /// `com.apple.developer.usernotifications.filtering` entitlement (granted by Apple on
    /// request); without it iOS shows the push's own alert.
    public func unContent(replacing original: UNNotificationContent) -> UNNotificationContent {
        guard let content else {
            let empty = UNMutableNotificationContent()
            empty.badge = badge.map { NSNumber(value: $0) }
            return empty
        }
        let mutable = (original.mutableCopy() as? UNMutableNotificationContent) ?? UNMutableNotificationContent()
        content.apply(to: mutable)
        return mutable
    }

    /// Removes the delivered notifications of `removeRoomIds`.
    public func removeDelivered(from center: UNUserNotificationCenter) async {
        guard !removeRoomIds.isEmpty else { return }
        let response = self
        let identifiers: [String] = await withCheckedContinuation { continuation in
            center.getDeliveredNotifications { notifications in
                continuation.resume(returning: response.identifiersToRemove(
                    from: notifications.map(DeliveredNotification.init)))
            }
        }
        if !identifiers.isEmpty {
            center.removeDeliveredNotifications(withIdentifiers: identifiers)
        }
    }
}

extension DeliveredNotification {
    public init(_ notification: UNNotification) {
        let content = notification.request.content
        self.init(
            identifier: notification.request.identifier,
            threadIdentifier: content.threadIdentifier,
            roomId: content.userInfo[NotificationContent.UserInfoKey.roomId] as? String)
    }
}

#endif
