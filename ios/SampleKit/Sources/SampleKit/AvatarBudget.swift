import Foundation
import MatrixPush

/// How long the extension waits for a sender's avatar, and which thumbnails it uses. An avatar
/// never delays a notification past its deadline: the wait is what is left of the push's budget,
/// and at most `cap` — a face is not worth a late message; with less than `minimum` left, only a
/// face the shared cache already holds is used. Without one, the notification shows the sender's
/// initials.
public enum AvatarBudget {
    /// The longest wait, in milliseconds.
    public static let cap: UInt64 = 3_000
    /// Below this, not worth a request: the cache only.
    public static let minimum: UInt64 = 200
    /// The library's thumbnails are at most this big (its cap); anything larger is not one.
    public static let maxBytes = 256 * 1024

    /// The deadline for `Client.avatar(mxc:deadlineMs:)` given `leftMs` of the push's budget;
    /// 0 (the library's cache only, no request) when too little is left to try the server.
    public static func deadlineMs(leftMs: UInt64) -> UInt64 {
        let deadline = min(leftMs, cap)
        return deadline >= minimum ? deadline : 0
    }

    /// Whether a thumbnail can become the notification's `INImage`: some bytes, no more than a
    /// thumbnail, and not a type that is certainly no image (an error page).
    public static func isUsable(_ thumbnail: Thumbnail) -> Bool {
        let type = thumbnail.contentType.lowercased()
        let notAnImage = type.hasPrefix("text/") || type.hasPrefix("application/json")
        return !thumbnail.bytes.isEmpty && thumbnail.bytes.count <= maxBytes && !notAnImage
    }
}
