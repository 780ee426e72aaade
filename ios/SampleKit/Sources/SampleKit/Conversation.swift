import Foundation
import MatrixPush

/// What a communication notification (the Messages-like layout: the sender's picture and name,
/// the room's name for groups) says about a resolved message. The extension turns it into an
/// `INSendMessageIntent` (`MatrixPushNSE/CommunicationNotification.swift`); the choices are here.
public struct Conversation: Equatable, Sendable {
    /// Someone in the conversation, as `INPerson` takes it.
    public struct Person: Equatable, Sendable {
        /// The Matrix user id: the person's handle (`INPersonHandle`, type unknown: not a phone
        /// number or an e-mail address) and custom identifier.
        public var userId: String
        public var displayName: String?
        /// `mxc://` URL of the avatar, to fetch with `Client.avatar(mxc:deadlineMs:)`.
        public var avatarUrl: String?
    }

    public var sender: Person
    /// The signed-in user, a recipient of group messages.
    public var me: Person
    /// `INSendMessageIntent.conversationIdentifier`: the room, per account (see `key`).
    public var identifier: String
    /// The room's name for a group (iOS then lays the notification out as a group); nil for a
    /// direct chat, which iOS titles with the sender.
    public var groupName: String?
    /// `mxc://` URL of a group's picture (the room's avatar); nil for a direct chat, or a room
    /// without one (iOS then shows the sender's face).
    public var groupAvatarUrl: String?

    public var isGroup: Bool { groupName != nil }

    /// The conversation of a resolved notification, or nil when it is not a message from a
    /// person (an invite, a call, another event), which keeps the plain layout.
    /// `account`: see `key(roomId:account:)`.
    public init?(_ notification: PushNotification, ownUserId: String, account: String? = nil) {
        switch notification.kind {
        case .message, .encrypted: break
        // Invites, calls, other events and kinds a newer library adds keep the plain layout.
        default: return nil
        }
        sender = Person(
            userId: notification.senderId,
            displayName: notification.senderName.isEmpty ? nil : notification.senderName,
            avatarUrl: notification.senderAvatarUrl)
        me = Person(userId: ownUserId, displayName: nil, avatarUrl: nil)
        identifier = Self.key(roomId: notification.roomId, account: account)
        let roomName = notification.roomName.trimmingCharacters(in: .whitespaces)
        groupName = notification.isDm ? nil : (roomName.isEmpty ? notification.roomId : roomName)
        groupAvatarUrl = notification.isDm ? nil : notification.roomAvatarUrl
    }

    /// The identifier of a room's conversation and notification thread (`threadIdentifier`):
    /// the room id for an app with one account; with several, `account` (the account's user id)
    /// keeps two accounts in the same room in two threads.
    public static func key(roomId: String, account: String?) -> String {
        guard let account, !account.isEmpty else { return roomId }
        return "\(account)|\(roomId)"
    }
}
