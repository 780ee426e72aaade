import Foundation
import MatrixPushNotifications

/// A button on a notification, as the app registers it (`UNNotificationAction`, built in the
/// app's `NotificationResponder`): what Messages-like apps offer without opening the app.
public struct NotificationAction: Equatable, Sendable {
    /// The `UNNotificationAction` identifiers; a response carries one back.
    public enum ID: String, CaseIterable, Sendable {
        case markRead = "io.matrixpush.sample.mark-read"
        case acceptInvite = "io.matrixpush.sample.accept-invite"
        case declineInvite = "io.matrixpush.sample.decline-invite"
    }

    public var id: ID
    public var title: String
    /// The SF Symbol shown beside the title (`UNNotificationActionIcon(systemImageName:)`).
    public var systemImage: String
    /// Only with the phone unlocked (`.authenticationRequired`): joining or leaving a room acts
    /// on the account; marking read does not need it.
    public var requiresUnlock: Bool
    /// Shown in red (`.destructive`).
    public var isDestructive: Bool

    public static let markRead = NotificationAction(
        id: .markRead, title: "Mark as Read", systemImage: "envelope.open", requiresUnlock: false, isDestructive: false)
    public static let acceptInvite = NotificationAction(
        id: .acceptInvite, title: "Accept", systemImage: "checkmark", requiresUnlock: true, isDestructive: false)
    public static let declineInvite = NotificationAction(
        id: .declineInvite, title: "Decline", systemImage: "xmark", requiresUnlock: true, isDestructive: true)

    /// The buttons of each category the extension gives a notification
    /// (`NotificationContent.categoryIdentifier`). Calls have none: answering needs a call UI.
    public static func actions(for category: NotificationCategory) -> [NotificationAction] {
        switch category {
        case .message: return [.markRead]
        case .invite: return [.acceptInvite, .declineInvite]
        case .call: return []
        }
    }
}

/// What the app does for a button the user pressed, read from the response's action identifier
/// and the notification's `userInfo` (the room and event ids the extension put there).
public enum NotificationActionRequest: Equatable, Sendable {
    case markRead(roomId: String, eventId: String)
    case acceptInvite(roomId: String)
    case declineInvite(roomId: String)

    /// nil for anything that is not one of the sample's buttons (a tap on the notification, a
    /// dismissal) or a notification without the ids the button needs.
    public init?(actionIdentifier: String, userInfo: [AnyHashable: Any]) {
        guard let action = NotificationAction.ID(rawValue: actionIdentifier),
              let roomId = userInfo[NotificationContent.UserInfoKey.roomId] as? String, !roomId.isEmpty
        else { return nil }
        switch action {
        case .markRead:
            guard let eventId = userInfo[NotificationContent.UserInfoKey.eventId] as? String, !eventId.isEmpty
            else { return nil }
            self = .markRead(roomId: roomId, eventId: eventId)
        case .acceptInvite:
            self = .acceptInvite(roomId: roomId)
        case .declineInvite:
            self = .declineInvite(roomId: roomId)
        }
    }

    /// The room acted on: once the request succeeded, its notifications have done their job.
    public var roomId: String {
        switch self {
        case .markRead(let roomId, _), .acceptInvite(let roomId), .declineInvite(let roomId): return roomId
        }
    }
}
