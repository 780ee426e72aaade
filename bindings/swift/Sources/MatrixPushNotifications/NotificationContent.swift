import Foundation
import MatrixPush

/// How prominently iOS presents a notification (`UNNotificationInterruptionLevel`, iOS 15+).
public enum InterruptionLevel: String, Sendable, CaseIterable {
    /// No sound, no screen wake: the rules notify without a sound (e.g. a group message).
    case passive
    /// The default: the rules asked for a sound.
    case active
    /// Breaks through Focus (with the Time Sensitive Notifications capability): a mention or
    /// keyword (the rules' `highlight`).
    case timeSensitive
}

/// The notification categories the app registers (`UNNotificationCategory`), so that calls and
/// invites can carry their own actions.
public enum NotificationCategory: String, Sendable, CaseIterable {
    case message = "io.matrixpush.message"
    case call = "io.matrixpush.call"
    case invite = "io.matrixpush.invite"
}

/// Texts and names the mapping needs that the library does not know.
public struct NotificationStyle: Sendable, Equatable {
    /// The title when nothing names the room or the sender (a generic fallback).
    public var appName: String
    /// The body of a generic fallback when the push carries no text.
    public var fallbackBody: String
    /// The body of a generic fallback for an encrypted event.
    public var encryptedBody: String
    /// The `threadIdentifier` of fallbacks that name no room.
    public var fallbackThreadIdentifier: String

    public init(
        appName: String = "Matrix",
        fallbackBody: String = "New message",
        encryptedBody: String = "Encrypted message",
        fallbackThreadIdentifier: String = "io.matrixpush.fallback"
    ) {
        self.appName = appName
        self.fallbackBody = fallbackBody
        self.encryptedBody = encryptedBody
        self.fallbackThreadIdentifier = fallbackThreadIdentifier
    }
}

/// What a Notification Service Extension puts into `UNMutableNotificationContent`, made from the
/// library's `PushNotification` or `FallbackNotification` (platform-neutral; `apply(to:)` in
/// UserNotifications+MatrixPush.swift writes it on iOS).
public struct NotificationContent: Equatable, Sendable {
    /// The room's name; the sender's name in a DM.
    public var title: String
    /// The sender's name in a room with several people; empty in a DM.
    public var subtitle: String
    public var body: String
    /// nil: silent. `"default"` for the system sound, else the rule's sound name (`"ring"`), which
    /// `apply(to:)` plays as the bundled file `<name>.caf` (iOS plays the default sound when the
    /// app has no such file).
    public var soundName: String?
    /// Groups the notifications of one room.
    public var threadIdentifier: String
    public var interruptionLevel: InterruptionLevel
    /// The app badge: the server's unread count sent with the push, when it sent one.
    public var badge: Int?
    /// A `NotificationCategory` raw value, or nil.
    public var categoryIdentifier: String?
    public var roomId: String?
    public var eventId: String?
    /// The Matrix thread root, for a message in a thread.
    public var matrixThreadId: String?
    /// A generic notification: the event could not be resolved in time.
    public var isFallback: Bool

    public init(
        title: String, subtitle: String = "", body: String, soundName: String?,
        threadIdentifier: String, interruptionLevel: InterruptionLevel, badge: Int?,
        categoryIdentifier: String?, roomId: String?, eventId: String?, matrixThreadId: String? = nil,
        isFallback: Bool
    ) {
        self.title = title
        self.subtitle = subtitle
        self.body = body
        self.soundName = soundName
        self.threadIdentifier = threadIdentifier
        self.interruptionLevel = interruptionLevel
        self.badge = badge
        self.categoryIdentifier = categoryIdentifier
        self.roomId = roomId
        self.eventId = eventId
        self.matrixThreadId = matrixThreadId
        self.isFallback = isFallback
    }

    /// Keys this content adds to the notification's `userInfo` (the app reads them on a tap).
    public enum UserInfoKey {
        public static let roomId = "room_id"
        public static let eventId = "event_id"
        public static let threadId = "matrix_push_thread_id"
        public static let fallback = "matrix_push_fallback"
    }

    /// What goes into `userInfo` besides what the push already had.
    public var userInfo: [String: String] {
        var info: [String: String] = [:]
        if let roomId { info[UserInfoKey.roomId] = roomId }
        if let eventId { info[UserInfoKey.eventId] = eventId }
        if let matrixThreadId { info[UserInfoKey.threadId] = matrixThreadId }
        if isFallback { info[UserInfoKey.fallback] = "1" }
        return info
    }

    /// A notification resolved by the library.
    public init(_ notification: PushNotification) {
        let category: NotificationCategory
        switch notification.kind {
        case .call: category = .call
        case .invite: category = .invite
        // Messages, encrypted and other events, and a kind a newer library adds (the enum may
        // grow). `default`, not `@unknown default`: the generated enums are not resilient, so
        // Swift 6 would still require every case by name.
        default: category = .message
        }
        let isInvite = category == .invite
        // A DM is titled by the person; a room by its name, the person below it. An invite's
        // body already names the inviter.
        let title = notification.isDm ? notification.senderName : notification.roomName
        let subtitle = notification.isDm || isInvite ? "" : notification.senderName
        self.init(
            title: title.isEmpty ? notification.roomName : title,
            subtitle: subtitle,
            body: notification.body,
            soundName: notification.isNoisy ? (notification.sound ?? "default") : nil,
            threadIdentifier: notification.roomId,
            interruptionLevel: notification.highlight
                ? .timeSensitive : (notification.isNoisy ? .active : .passive),
            badge: notification.unread.map { Int(clamping: $0) },
            categoryIdentifier: category.rawValue,
            roomId: notification.roomId,
            eventId: notification.eventId,
            matrixThreadId: notification.threadId,
            isFallback: false
        )
    }

    /// The library's generic notification (the server could not be reached in time). Never
    /// silent: the rules could not be evaluated, so the push may well be a mention.
    public init(_ fallback: FallbackNotification, style: NotificationStyle = NotificationStyle()) {
        self.init(
            title: fallback.title.flatMap { $0.isEmpty ? nil : $0 } ?? style.appName,
            body: fallback.body.isEmpty ? style.fallbackBody : fallback.body,
            soundName: "default",
            threadIdentifier: fallback.roomId ?? style.fallbackThreadIdentifier,
            interruptionLevel: .active,
            badge: fallback.unread.map { Int(clamping: $0) },
            categoryIdentifier: NotificationCategory.message.rawValue,
            roomId: fallback.roomId,
            eventId: fallback.eventId,
            isFallback: true
        )
    }

    /// The generic notification made in Swift, from the payload alone (or from nothing), for when
    /// the library itself did not answer in time (`ExtensionBudget`) or the push could not be
    /// decoded: the library's own fallback for the payload (`fallbackNotification`: the title from
    /// the room's or the sender's name, a reply's quoted text left out), with the app's words
    /// where the library has only its generic ones.
    public static func fallback(for payload: PushPayload?, style: NotificationStyle = NotificationStyle()) -> NotificationContent {
        var notification = payload.flatMap(libraryFallback)
            ?? FallbackNotification(
                eventId: payload?.eventId, roomId: payload?.roomId, title: nil, body: "",
                unread: payload?.unread, reason: fallbackReason)
        if payload?.eventType == "m.room.encrypted" {
            notification.body = style.encryptedBody
        } else if payload?.body == nil {
            notification.body = style.fallbackBody
        }
        return NotificationContent(notification, style: style)
    }

    static let fallbackReason = "resolved in Swift"

    /// The library's fallback for `payload`; nil for a push that names no event (nothing to
    /// show) and for a payload record whose JSON fields do not parse.
    static func libraryFallback(for payload: PushPayload) -> FallbackNotification? {
        do {
            return try fallbackNotification(payload: payload, reason: fallbackReason)
        } catch {
            return nil
        }
    }
}

/// What to do for one push: the notification to deliver (or none), the badge, and which delivered
/// notifications to take away.
public struct PushResponse: Equatable, Sendable {
    /// nil: show nothing (a suppressed event, a duplicate, a read room, a badge-only push).
    public var content: NotificationContent?
    /// Set the app badge to this, when known.
    public var badge: Int?
    /// Remove the delivered notifications of these rooms (read elsewhere).
    public var removeRoomIds: [String]
    /// Why nothing is shown, for logs (nil when something is).
    public var reason: String?

    public init(content: NotificationContent?, badge: Int?, removeRoomIds: [String] = [], reason: String? = nil) {
        self.content = content
        self.badge = badge
        self.removeRoomIds = removeRoomIds
        self.reason = reason
    }

    /// Maps what `Client.handlePush` returned; `payload` (the push it was given) supplies the
    /// server's unread count when the outcome does not carry one.
    public init(_ outcome: Outcome, payload: PushPayload? = nil, style: NotificationStyle = NotificationStyle()) {
        let unread = payload?.unread.map { Int(clamping: $0) }
        switch outcome {
        case .show(let notification):
            let content = NotificationContent(notification)
            self.init(content: content, badge: content.badge ?? unread)
        case .fallback(let notification):
            let content = NotificationContent(notification, style: style)
            self.init(content: content, badge: content.badge ?? unread)
        case .suppressed(let reason, _):
            self.init(content: nil, badge: unread, reason: "suppressed: \(reason)")
        case .duplicate:
            self.init(content: nil, badge: nil, reason: "duplicate")
        case .badgeUpdate(let count, let readRooms):
            self.init(content: nil, badge: Int(clamping: count), removeRoomIds: readRooms, reason: "badge update")
        case .dismiss(let roomIds):
            self.init(content: nil, badge: nil, removeRoomIds: roomIds, reason: "read elsewhere")
        // Every case by name, though Outcome may grow: this package is built with the bindings
        // of the same library, so a new outcome fails its build here, where its response is
        // decided, and never reaches an app unhandled. (A `default` beside every case is a
        // "will never be executed" warning until then.)
        }
    }

    /// The generic notification for a push the library could not answer in time.
    public static func fallback(for payload: PushPayload?, style: NotificationStyle = NotificationStyle()) -> PushResponse {
        // A push that names no event (badge-only) has nothing to show, as the library answers it
        // when it resolves in time: the badge alone.
        if let payload, namesNoEvent(payload) {
            return PushResponse(
                content: nil, badge: payload.unread.map { Int(clamping: $0) }, reason: "badge-only push")
        }
        let content = NotificationContent.fallback(for: payload, style: style)
        return PushResponse(content: content, badge: content.badge)
    }

    /// Whether the library finds nothing to show for `payload` (it names no event).
    private static func namesNoEvent(_ payload: PushPayload) -> Bool {
        do {
            return try fallbackNotification(payload: payload, reason: NotificationContent.fallbackReason) == nil
        } catch {
            return false
        }
    }

    /// Of the notifications on screen, the ones to remove (`removeDeliveredNotifications`).
    public func identifiersToRemove(from delivered: [DeliveredNotification]) -> [String] {
        guard !removeRoomIds.isEmpty else { return [] }
        let rooms = Set(removeRoomIds)
        return delivered.filter { rooms.contains($0.roomId ?? $0.threadIdentifier) }.map(\.identifier)
    }
}

/// A notification on screen, as far as removing it goes (from `UNNotification`).
public struct DeliveredNotification: Equatable, Sendable {
    public var identifier: String
    public var threadIdentifier: String
    /// `userInfo["room_id"]`: every Matrix push and every content made here has it.
    public var roomId: String?

    public init(identifier: String, threadIdentifier: String, roomId: String?) {
        self.identifier = identifier
        self.threadIdentifier = threadIdentifier
        self.roomId = roomId
    }
}
