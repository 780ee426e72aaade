import Foundation
import MatrixPush
import MatrixPushNotifications

/// What the extension hands iOS for a push it has nothing to show for: the rules say silent, the
/// event was handled already, the room was read elsewhere, or the push is for an account no
/// longer signed in here.
///
/// Only an extension holding `com.apple.developer.usernotifications.filtering` (Apple grants it
/// on request) can make iOS drop a push, by delivering an empty content. Without it iOS shows the
/// push's own alert ("New message", with a sound) for an empty content — so the extension shows a
/// quiet notice instead: no sound, no banner (`.passive`), stacked with the other notices, and
/// removed by the app when it opens.
public enum HiddenPush: Equatable, Sendable {
    case suppressed
    case duplicate
    case readElsewhere
    case otherAccount

    /// The category of quiet notices (no buttons); the app removes delivered notifications of
    /// this category when it becomes active.
    public static let quietCategory = "io.matrixpush.sample.quiet"

    /// Why an outcome shows nothing; nil for one that shows a notification.
    public init?(_ outcome: Outcome) {
        switch outcome {
        case .suppressed: self = .suppressed
        case .duplicate: self = .duplicate
        case .dismiss, .badgeUpdate: self = .readElsewhere
        // .show and .fallback show a notification; an outcome a newer library adds (the enum may
        // grow) is not hidden either. (`default`, not `@unknown default`: the generated enums are
        // not resilient, so Swift 6 would still require every case by name.)
        default: return nil
        }
    }

    /// The quiet notice to show instead of dropping the push, or nil to deliver the empty
    /// content (`canFilter`: the extension holds the filtering entitlement, so iOS drops it).
    public func notice(
        canFilter: Bool, payload: PushPayload?, badge: Int?, style: NotificationStyle
    ) -> NotificationContent? {
        guard !canFilter else { return nil }
        return NotificationContent(
            title: style.appName, body: body, soundName: nil,
            threadIdentifier: Self.quietCategory, interruptionLevel: .passive, badge: badge,
            categoryIdentifier: Self.quietCategory, roomId: payload?.roomId, eventId: payload?.eventId,
            isFallback: false)
    }

    var body: String {
        switch self {
        case .suppressed: return "New activity"
        case .duplicate: return "Updated"
        case .readElsewhere: return "Read on another device"
        case .otherAccount: return "For an account no longer signed in here"
        }
    }
}
