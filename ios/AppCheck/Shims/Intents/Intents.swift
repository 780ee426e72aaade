// TYPE-CHECKING SHIM — NOT Apple's Intents. Never linked, never shipped, never run.
// scripts/ios-app-check compiles it as a module named Intents so that the extension's
// communication notifications (ios/MatrixPushNSE) can be type-checked on Linux. It mirrors the
// names and signatures of the iOS 26 SDK's Swift interface for exactly the API that code uses
// (including the overlay's `_INIntentSetImageKeyPath`, which gives `setImage(_:forParameterNamed:)`
// its key path on the intent's own type). Bodies never run. Add a declaration only as the SDK
// spells it, and only when the app starts using it.
@_exported import Foundation   // as the SDK's framework modules re-export it
import UserNotifications

@inline(never) func shimOnly() -> Never { fatalError("type-checking shim, not Intents") }

open class INImage: NSObject {
    public convenience init(imageData: Data) { self.init() }
    public convenience init(named name: String) { self.init() }
}

public enum INPersonHandleType: Int, Sendable {
    case unknown = 0, emailAddress = 1, phoneNumber = 2
}

open class INPersonHandle: NSObject {
    open var value: String? { shimOnly() }
    open var type: INPersonHandleType { shimOnly() }
    public convenience init(value: String?, type: INPersonHandleType) { self.init() }
}

public enum INPersonSuggestionType: Int, Sendable {
    case none = 0, socialProfile = 1, instantMessageAddress = 2
}

open class INPerson: NSObject {
    open var personHandle: INPersonHandle? { shimOnly() }
    open var displayName: String { shimOnly() }
    open var image: INImage? { shimOnly() }
    open var isMe: Bool { shimOnly() }
    public convenience init(
        personHandle: INPersonHandle, nameComponents: PersonNameComponents?, displayName: String?,
        image: INImage?, contactIdentifier: String?, customIdentifier: String?, isMe: Bool,
        suggestionType: INPersonSuggestionType
    ) { self.init() }
}

open class INSpeakableString: NSObject {
    open var spokenPhrase: String { shimOnly() }
    public convenience init(spokenPhrase: String) { self.init() }
}

open class INIntent: NSObject {}

open class INIntentResponse: NSObject {}

/// The Intents overlay's home of `setImage(_:forParameterNamed:)`.
public protocol _INIntentSetImageKeyPath {}

extension _INIntentSetImageKeyPath {
    public func setImage<Value>(_ image: INImage?, forParameterNamed parameterName: KeyPath<Self, Value>) { shimOnly() }
    public func image<Value>(forParameterNamed parameterName: KeyPath<Self, Value>) -> INImage? { shimOnly() }
}

extension INIntent: _INIntentSetImageKeyPath {}

public enum INOutgoingMessageType: Int, Sendable {
    case unknown = 0, outgoingMessageText = 1, outgoingMessageAudio = 2
}

open class INSendMessageAttachment: NSObject {}

open class INSendMessageIntent: INIntent, UNNotificationContentProviding {
    open var recipients: [INPerson]? { shimOnly() }
    open var outgoingMessageType: INOutgoingMessageType { shimOnly() }
    open var content: String? { shimOnly() }
    open var speakableGroupName: INSpeakableString? { shimOnly() }
    open var conversationIdentifier: String? { shimOnly() }
    open var serviceName: String? { shimOnly() }
    open var sender: INPerson? { shimOnly() }
    open var attachments: [INSendMessageAttachment]? { shimOnly() }
    public init(
        recipients: [INPerson]?, outgoingMessageType: INOutgoingMessageType, content: String?,
        speakableGroupName: INSpeakableString?, conversationIdentifier: String?, serviceName: String?,
        sender: INPerson?, attachments: [INSendMessageAttachment]?
    ) { shimOnly() }
}

public enum INInteractionDirection: Int, Sendable {
    case unspecified = 0, outgoing = 1, incoming = 2
}

open class INInteraction: NSObject {
    open var intent: INIntent { shimOnly() }
    open var direction: INInteractionDirection { get { shimOnly() } set { shimOnly() } }
    public init(intent: INIntent, response: INIntentResponse?) { shimOnly() }
    open func donate(completion: (@Sendable ((any Error)?) -> Void)? = nil) { shimOnly() }
    open func donate() async throws { shimOnly() }
}
