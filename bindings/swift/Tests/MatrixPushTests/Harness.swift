import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MatrixPush
import XCTest

/// The test homeserver started by scripts/synapse, reached from inside the chroot on 127.0.0.1.
enum Synapse {
    static func env(_ name: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            fatalError("\(name) is not set: run the suite through ./scripts/test (or scripts/swift-test after `eval \"$(scripts/synapse env)\"` and exporting MATRIX_PUSH_SYNAPSE_ADMIN_TOKEN=$(scripts/synapse admin-token))")
        }
        return value
    }

    static var url: String { env("MATRIX_PUSH_SYNAPSE_URL") }
    static var serverName: String { env("MATRIX_PUSH_SYNAPSE_SERVER_NAME") }

    struct User {
        let localpart: String
        let userId: String
        let password: String
        let token: String
    }

    /// One HTTP call with JSON in and out.
    static func call(_ method: String, _ path: String, token: String? = nil, body: [String: Any]? = nil) async throws -> [String: Any] {
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

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// A new user (through the admin API), logged in once for raw calls.
    static func register(_ name: String, displayName: String? = nil) async throws -> User {
        let localpart = "\(name)\(UInt64(Date().timeIntervalSince1970 * 1e6))\(Int.random(in: 0..<1000))"
        let userId = "@\(localpart):\(serverName)"
        let password = "pw-\(localpart)"
        var body: [String: Any] = ["password": password]
        if let displayName { body["displayname"] = displayName }
        _ = try await call("PUT", "/_synapse/admin/v2/users/\(encoded(userId))", token: env("MATRIX_PUSH_SYNAPSE_ADMIN_TOKEN"), body: body)
        let login = try await call("POST", "/_matrix/client/v3/login", body: [
            "type": "m.login.password", "identifier": ["type": "m.id.user", "user": localpart], "password": password,
        ])
        return User(localpart: localpart, userId: userId, password: password, token: login["access_token"] as! String)
    }

    static func createDm(_ creator: User, with other: User) async throws -> String {
        let room = try await call("POST", "/_matrix/client/v3/createRoom", token: creator.token, body: [
            "invite": [other.userId], "is_direct": true, "preset": "trusted_private_chat",
        ])
        let roomId = room["room_id"] as! String
        _ = try await call("POST", "/_matrix/client/v3/join/\(encoded(roomId))", token: other.token, body: [:])
        return roomId
    }

    static func sendText(_ from: User, _ roomId: String, _ text: String) async throws -> String {
        let txn = "swift\(UInt64(Date().timeIntervalSince1970 * 1e6))"
        let sent = try await call("PUT", "/_matrix/client/v3/rooms/\(encoded(roomId))/send/m.room.message/\(txn)",
                                  token: from.token, body: ["msgtype": "m.text", "body": text])
        return sent["event_id"] as! String
    }
}

/// A session store in memory, as an app's Keychain-backed one would behave.
final class MemoryStore: SessionStore, @unchecked Sendable {
    private let lock = NSLock()
    private var saved: String?
    func load() -> String? { lock.withLock { saved } }
    func save(session: String) { lock.withLock { saved = session } }
    func clear() { lock.withLock { saved = nil } }
}

func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "matrix-push-swift-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func fixture(_ name: String) throws -> [String: Any] {
    let folder = ProcessInfo.processInfo.environment["MATRIX_PUSH_FIXTURES"] ?? "../../../shared/fixtures"
    let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/payloads/" + name))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}
