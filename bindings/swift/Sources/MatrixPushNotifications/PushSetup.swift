import Foundation
import MatrixPush

/// What `PushSetup` remembers per account: the routing secret of its pusher and the pusher it
/// last registered (app id and pushkey: to rotate away from it when APNs hands out a new token
/// or the app's pusher app id changed, e.g. from a development to a production gateway app).
public struct PushSetupState: Codable, Equatable, Sendable {
    /// Random, per account, sent with every push as `cs` (a routing key, not a credential: the
    /// homeserver and the gateway see it).
    public var accountSecret: String
    /// The base64 APNs token the pusher was last set with.
    public var pushkey: String?
    /// The app id the pusher was last set with (nil in state saved before it was remembered:
    /// then it is the current one).
    public var appId: String?

    public init(accountSecret: String, pushkey: String? = nil, appId: String? = nil) {
        self.accountSecret = accountSecret
        self.pushkey = pushkey
        self.appId = appId
    }

    enum CodingKeys: String, CodingKey {
        case accountSecret = "account_secret"
        case pushkey
        case appId = "app_id"
    }

    /// 16 random bytes, base64url without padding (22 characters: pushes are capped at 4 KiB).
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// What `PushSetup.register` did on the homeserver.
public enum PushRegistration: Equatable, Sendable {
    /// The server already had exactly this pusher.
    case unchanged
    case created
    /// Same token, different details (display name, gateway, payload): replaced.
    case updated
    /// A new token: the new pusher was set, then the old one removed.
    case rotated(oldPushkey: String)
}

/// The pusher of the iOS app and keeping it right: call `register(deviceToken:client:)` from
/// `didRegisterForRemoteNotificationsWithDeviceToken` (the app registers on every start, so this
/// is also the "ensure on every start"), and `ensure(client:)` whenever the app starts with a
/// session but before a token arrived. Not for concurrent use: call it from one actor.
public struct PushSetup: Sendable {
    /// The app id of the sample app's APNs pusher; the gateway's config must have the same key.
    public static let sampleAppId = "io.matrixpush.sample.ios"
    /// The `default_payload` key of the routing secret (the core's `ROUTING_SECRET_KEY`).
    public static let routingSecretKey = "cs"
    /// The alert's `loc-key`: the text iOS shows if the extension cannot run at all (localized
    /// through the app's Localizable.strings; shown as-is when missing).
    public static let defaultAlertLocKey = "NEW_MESSAGE"

    public var appId: String
    /// The push gateway (Sygnal), ending in `/_matrix/push/v1/notify`.
    public var gatewayUrl: String
    public var appDisplayName: String
    public var deviceDisplayName: String
    public var lang: String
    public var profileTag: String?
    public var alertLocKey: String
    /// Where this account's `PushSetupState` is kept (in the app group, beside the store).
    public var stateFile: URL

    public init(
        gatewayUrl: String, stateFile: URL, appId: String = PushSetup.sampleAppId,
        appDisplayName: String = "Matrix Push Sample", deviceDisplayName: String = "iPhone",
        lang: String = "en", profileTag: String? = nil, alertLocKey: String = PushSetup.defaultAlertLocKey
    ) {
        self.gatewayUrl = gatewayUrl
        self.stateFile = stateFile
        self.appId = appId
        self.appDisplayName = appDisplayName
        self.deviceDisplayName = deviceDisplayName
        self.lang = lang
        self.profileTag = profileTag
        self.alertLocKey = alertLocKey
    }

    /// The pusher's `default_payload`, which Sygnal copies into every event push (format
    /// `event_id_only` sends no `aps` of its own):
    /// `{"aps": {"alert": {"loc-key": …}, "mutable-content": 1}, "cs": <secret>}`. The extension
    /// only runs for a visible alert with `mutable-content`; the alert is also what iOS shows
    /// when the extension fails.
    public static func defaultPayloadJson(accountSecret: String, alertLocKey: String = defaultAlertLocKey) -> String {
        let payload: [String: Any] = [
            "aps": ["mutable-content": 1, "alert": ["loc-key": alertLocKey]],
            routingSecretKey: accountSecret,
        ]
        // Sorted keys: the same account always gives the same text.
        let data = try! JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// The pusher for a pushkey (see `APNs.pushkey(deviceToken:)`).
    public func pusher(pushkey: String, accountSecret: String) -> Pusher {
        Pusher(
            pushkey: pushkey, appId: appId, appDisplayName: appDisplayName,
            deviceDisplayName: deviceDisplayName, profileTag: profileTag, lang: lang,
            gatewayUrl: gatewayUrl, format: "event_id_only",
            defaultPayloadJson: PushSetup.defaultPayloadJson(accountSecret: accountSecret, alertLocKey: alertLocKey))
    }

    /// The saved state, or nil (never registered, or unreadable).
    public func loadState() -> PushSetupState? {
        guard let data = try? Data(contentsOf: stateFile) else { return nil }
        return try? JSONDecoder().decode(PushSetupState.self, from: data)
    }

    /// The saved state, made (with a new secret) on first use.
    public func state() throws -> PushSetupState {
        if let state = loadState() { return state }
        let state = PushSetupState(accountSecret: PushSetupState.newSecret())
        try save(state)
        return state
    }

    func save(_ state: PushSetupState) throws {
        try FileManager.default.createDirectory(
            at: stateFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try JSONEncoder().encode(state).write(to: stateFile, options: .atomic)
    }

    /// Registers the device token APNs handed the app: sets the pusher when missing or different,
    /// or rotates from the previous token.
    public func register(deviceToken: Data, client: Client) async throws -> PushRegistration {
        try await register(pushkey: APNs.pushkey(deviceToken: deviceToken), client: client)
    }

    /// As `register(deviceToken:client:)`, with the pushkey itself.
    public func register(pushkey: String, client: Client) async throws -> PushRegistration {
        var state = try state()
        let pusher = pusher(pushkey: pushkey, accountSecret: state.accountSecret)
        let result: PushRegistration
        let oldAppId = state.appId ?? appId
        if let old = state.pushkey, old != pushkey || oldAppId != appId {
            try await client.rotatePusher(oldAppId: oldAppId, oldPushkey: old, pusher: pusher)
            result = .rotated(oldPushkey: old)
        } else {
            switch try await client.ensurePusher(pusher: pusher) {
            case .unchanged: result = .unchanged
            case .created: result = .created
            case .updated: result = .updated
            }
        }
        state.pushkey = pushkey
        state.appId = appId
        try save(state)
        return result
    }

    /// Makes sure the server still has the pusher for the saved token (it may have dropped it:
    /// a gateway rejection, a logout elsewhere). nil when no token was registered yet.
    public func ensure(client: Client) async throws -> EnsureOutcome? {
        guard let state = loadState(), let pushkey = state.pushkey else { return nil }
        return try await client.ensurePusher(pusher: pusher(pushkey: pushkey, accountSecret: state.accountSecret))
    }

    /// Removes the pusher (push off for this account) and forgets the state. A logout removes the
    /// device's pushers on the server by itself: then call `forget()` only.
    public func unregister(client: Client) async throws {
        if let state = loadState(), let pushkey = state.pushkey {
            try await client.removePusher(appId: state.appId ?? appId, pushkey: pushkey)
        }
        try forget()
    }

    /// Deletes the saved state (after a sign-out).
    public func forget() throws {
        if FileManager.default.fileExists(atPath: stateFile.path) {
            try FileManager.default.removeItem(at: stateFile)
        }
    }

    /// The route of this account for `routeAccount` (nil secret before the first registration).
    public func route(accountId: String) -> AccountRoute {
        AccountRoute(id: accountId, secret: loadState()?.accountSecret)
    }
}
