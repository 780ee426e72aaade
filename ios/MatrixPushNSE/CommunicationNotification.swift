import Foundation
import Intents
import SampleKit
import UserNotifications

/// Turns a resolved message into a communication notification: iOS then draws it like Messages
/// (the sender's picture and name; for a room, the room's name with the sender below), and Focus
/// can let through the people the user allows. Needs the app's Communication Notifications
/// capability and `INSendMessageIntent` in its `NSUserActivityTypes` (docs/ios.md). What it says
/// is decided by SampleKit's `Conversation`; this is the Intents glue.
enum CommunicationNotification {
    /// `content` updated from an `INSendMessageIntent` for `conversation`, with the sender's
    /// avatar (thumbnail bytes) when it came in time; `content` unchanged when iOS refuses the
    /// intent (e.g. the capability is missing), so the message is shown either way.
    static func content(_ content: UNNotificationContent, for conversation: Conversation, avatar: Data?) async -> UNNotificationContent {
        // INImage keeps the encoded bytes (at most a 256 KiB thumbnail); iOS decodes them outside
        // the extension's memory.
        let image = avatar.map { INImage(imageData: $0) }
        let sender = person(conversation.sender, image: image, isMe: false)
        let intent = INSendMessageIntent(
            // A group needs more than one recipient for iOS to lay it out as a group.
            recipients: conversation.isGroup ? [sender, person(conversation.me, image: nil, isMe: true)] : nil,
            outgoingMessageType: .outgoingMessageText,
            // The notification shows the text; the donation, which the system keeps for its
            // suggestions, does not need it.
            content: nil,
            speakableGroupName: conversation.groupName.map { INSpeakableString(spokenPhrase: $0) },
            conversationIdentifier: conversation.identifier,
            serviceName: nil,
            sender: sender,
            attachments: nil)
        if conversation.isGroup, let image {
            // iOS draws a group's picture from this parameter, not from the sender. The library
            // gives no room avatar yet, so the sender's face rather than a blank circle.
            intent.setImage(image, forParameterNamed: \.speakableGroupName)
        }
        let interaction = INInteraction(intent: intent, response: nil)
        interaction.direction = .incoming
        do {
            // Donated first, as Apple's guide does; a failed donation still leaves the layout.
            try await interaction.donate()
        } catch {
            SampleLog.nse.error("donating the message failed: \(String(describing: error), privacy: .public)")
        }
        do {
            return try content.updating(from: intent)
        } catch {
            SampleLog.nse.error("no communication notification: \(String(describing: error), privacy: .public)")
            return content
        }
    }

    /// A Matrix user as an `INPerson`: the user id is the handle (neither a phone number nor an
    /// e-mail address, so of unknown type) and the app's own identifier for them.
    private static func person(_ person: Conversation.Person, image: INImage?, isMe: Bool) -> INPerson {
        INPerson(
            personHandle: INPersonHandle(value: person.userId, type: .unknown),
            nameComponents: nil,
            displayName: person.displayName,
            image: image,
            contactIdentifier: nil,
            customIdentifier: person.userId,
            isMe: isMe,
            suggestionType: .none)
    }
}
