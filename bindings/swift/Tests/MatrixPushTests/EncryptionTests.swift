import Foundation
import MatrixPush
import MatrixPushTestSupport
import XCTest

/// The built-in encryption from Swift (`Client(…, encryption: true)`, a library built with the
/// `e2ee` feature): signing in makes the device a full E2EE device whose keys other users find.
/// (Real Megolm messages are sent and decrypted in the Rust suite `tests/tests/e2ee.rs`.)
final class EncryptionTests: XCTestCase {
    func testSigningInWithEncryptionPublishesTheDevicesKeys() async throws {
        let alice = try await Homeserver.register("swiftencalice")
        let bob = try await Homeserver.register("swiftencbob")
        let client = try Client(homeserverUrl: Homeserver.url, storeDir: temporaryFolder(), sessionStore: MemoryStore(),
                                deviceDisplayName: "Swift tests", eventDecryptor: nil, encryption: true)
        let session = try await client.loginPassword(identifier: .user(user: bob.localpart), password: bob.password)
        let query = try await Homeserver.call("POST", "/_matrix/client/v3/keys/query", token: alice.token,
                                              body: ["device_keys": [bob.userId: [String]()]])
        let devices = (query["device_keys"] as? [String: Any])?[bob.userId] as? [String: Any]
        let device = try XCTUnwrap(devices?[session.deviceId] as? [String: Any], "Alice finds the phone's device: \(query)")
        let keys = try XCTUnwrap(device["keys"] as? [String: Any])
        XCTAssertNotNil(keys["curve25519:\(session.deviceId)"], "identity key: \(keys)")
        XCTAssertNotNil(keys["ed25519:\(session.deviceId)"], "signing key: \(keys)")
    }
}
