import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MatrixPush

/// The test homeserver started by scripts/synapse, reached from inside the chroot on 127.0.0.1:
/// users made through the admin API, rooms with several members, invites, any event type, read
/// receipts. Shared by every test target (a test target cannot use another's files).
public enum Homeserver {
    public static func env(_ name: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            fatalError("\(name) is not set: run the suite through ./scripts/test (or scripts/swift-test after `eval \"$(scripts/synapse env)\"` and exporting MATRIX_PUSH_SYNAPSE_ADMIN_TOKEN=$(scripts/synapse admin-token))")
        }
        return value
    }

    public static var url: String { env("MATRIX_PUSH_SYNAPSE_URL") }
    public static var serverName: String { env("MATRIX_PUSH_SYNAPSE_SERVER_NAME") }

    public struct User: Sendable {
        public let localpart: String
        public let userId: String
        public let password: String
        public let token: String
    }

    /// One HTTP call with JSON in and out.
    @discardableResult
    public static func call(_ method: String, _ path: String, token: String? = nil, body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as! HTTPURLResponse).statusCode
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (200..<300).contains(status) else {
            throw NSError(domain: "synapse", code: status, userInfo: ["body": json, "path": path])
        }
        return json
    }

    public static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// A new user (through the admin API), logged in once for raw calls.
    public static func register(_ name: String, displayName: String? = nil) async throws -> User {
        let localpart = "\(name)\(UInt64(Date().timeIntervalSince1970 * 1e6))\(Int.random(in: 0..<1000))"
        let userId = "@\(localpart):\(serverName)"
        let password = "pw-\(localpart)"
        var body: [String: Any] = ["password": password]
        if let displayName { body["displayname"] = displayName }
        try await call("PUT", "/_synapse/admin/v2/users/\(encoded(userId))", token: env("MATRIX_PUSH_SYNAPSE_ADMIN_TOKEN"), body: body)
        let login = try await call("POST", "/_matrix/client/v3/login", body: [
            "type": "m.login.password", "identifier": ["type": "m.id.user", "user": localpart], "password": password,
        ])
        return User(localpart: localpart, userId: userId, password: password, token: login["access_token"] as! String)
    }

    public static func createDm(_ creator: User, with other: User) async throws -> String {
        let room = try await call("POST", "/_matrix/client/v3/createRoom", token: creator.token, body: [
            "invite": [other.userId], "is_direct": true, "preset": "trusted_private_chat",
        ])
        let roomId = room["room_id"] as! String
        try await call("POST", "/_matrix/client/v3/join/\(encoded(roomId))", token: other.token, body: [:])
        return roomId
    }

    /// A named room; `members` are invited and join, `invited` are only invited.
    public static func createRoom(_ creator: User, name: String, members: [User] = [], invited: [User] = []) async throws -> String {
        let room = try await call("POST", "/_matrix/client/v3/createRoom", token: creator.token, body: [
            "name": name, "preset": "private_chat", "invite": (members + invited).map(\.userId),
        ])
        let roomId = room["room_id"] as! String
        for member in members {
            try await call("POST", "/_matrix/client/v3/join/\(encoded(roomId))", token: member.token, body: [:])
        }
        return roomId
    }

    public static func send(_ from: User, _ roomId: String, type: String = "m.room.message", _ content: [String: Any]) async throws -> String {
        let txn = "swiftnotif\(UInt64(Date().timeIntervalSince1970 * 1e6))\(Int.random(in: 0..<1000))"
        let sent = try await call("PUT", "/_matrix/client/v3/rooms/\(encoded(roomId))/send/\(type)/\(txn)",
                                  token: from.token, body: content)
        return sent["event_id"] as! String
    }

    public static func sendText(_ from: User, _ roomId: String, _ text: String) async throws -> String {
        try await send(from, roomId, ["msgtype": "m.text", "body": text, "m.mentions": [String: Any]()])
    }

    /// The state event `type`/`stateKey` as an event (with its event_id).
    public static func stateEvent(_ user: User, _ roomId: String, _ type: String, _ stateKey: String) async throws -> [String: Any] {
        try await call("GET", "/_matrix/client/v3/rooms/\(encoded(roomId))/state/\(type)/\(encoded(stateKey))?format=event", token: user.token)
    }

    /// A 4×4 PNG uploaded as `user`; its `mxc://` URL.
    public static func uploadPng(_ user: User) async throws -> String {
        let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAYAAACp8Z5+AAAAEklEQVR4nGP4z8DwHxkzkC4AADxAH+HggXe0AAAAAElFTkSuQmCC")!
        var request = URLRequest(url: URL(string: url + "/_matrix/media/v3/upload")!)
        request.httpMethod = "POST"
        request.setValue("image/png", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(user.token)", forHTTPHeaderField: "Authorization")
        request.httpBody = png
        let (data, _) = try await URLSession.shared.data(for: request)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return try XCTUnwrapOrThrow(json?["content_uri"] as? String, "no content_uri: \(String(decoding: data, as: UTF8.self))")
    }

    /// Whether `user`'s notification for `eventId` is read (`GET /notifications`); nil when
    /// Synapse lists none for it.
    public static func notificationRead(_ user: User, _ eventId: String) async throws -> Bool? {
        let listed = try await call("GET", "/_matrix/client/v3/notifications", token: user.token)
        let notifications = listed["notifications"] as? [[String: Any]] ?? []
        let mine = notifications.first { ($0["event"] as? [String: Any])?["event_id"] as? String == eventId }
        return mine?["read"] as? Bool
    }

    private static func XCTUnwrapOrThrow<T>(_ value: T?, _ message: String) throws -> T {
        guard let value else { throw NSError(domain: "synapse", code: 0, userInfo: ["message": message]) }
        return value
    }

    public static func markRead(_ user: User, _ roomId: String, _ eventId: String) async throws {
        try await call("POST", "/_matrix/client/v3/rooms/\(encoded(roomId))/receipt/m.read/\(encoded(eventId))", token: user.token, body: [:])
    }
}

/// A session store in memory, as the app's Keychain-backed one behaves.
public final class MemoryStore: SessionStore, @unchecked Sendable {
    private let lock = NSLock()
    private var saved: String?
    public init(_ session: String? = nil) { saved = session }
    public func load() -> String? { lock.withLock { saved } }
    public func save(session: String) { lock.withLock { saved = session } }
    public func clear() { lock.withLock { saved = nil } }
}

public func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "matrix-push-notifications-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A phone: a client signed in as `user`, with its own store folder.
public func phone(for user: Homeserver.User) async throws -> Client {
    let client = try Client(homeserverUrl: Homeserver.url, storeDir: temporaryFolder(), sessionStore: MemoryStore(),
                            deviceDisplayName: "Swift notifications tests", eventDecryptor: nil)
    _ = try await client.loginPassword(identifier: .user(user: user.userId), password: user.password)
    return client
}

/// What APNs hands the extension for an event_id_only pusher whose default_payload has `aps`.
public func apnsPush(eventId: String, roomId: String, unread: Int = 1, extra: String = "") throws -> PushPayload {
    try decodeApns(userInfoJson: #"{"event_id": "\#(eventId)", "room_id": "\#(roomId)", "unread_count": \#(unread), "aps": {"mutable-content": 1, "alert": {"loc-key": "NEW_MESSAGE"}}\#(extra)}"#)
}

public func fixture(_ name: String) throws -> [String: Any] {
    let folder = ProcessInfo.processInfo.environment["MATRIX_PUSH_FIXTURES"] ?? "../../../shared/fixtures"
    let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/payloads/" + name))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}
