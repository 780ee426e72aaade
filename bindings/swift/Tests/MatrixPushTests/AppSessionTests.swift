import Foundation
import MatrixPush
import MatrixPushTestSupport
import XCTest

/// `Client.forAppSession`: matrix-push on the session of the app's own Matrix SDK, with a Swift
/// TokenProvider (an async refresh) and a Swift EventDecryptor (an async decrypt), against the
/// harness Synapse. (The "ciphertext" is the cleartext JSON: this checks the foreign async
/// plumbing; real Megolm is covered with the built-in crypto.)
final class AppSessionTests: XCTestCase {
    /// Hands out a stale token first, then the app's real one when asked to refresh.
    final class AppTokens: TokenProvider, @unchecked Sendable {
        private let lock = NSLock()
        private var current = "stale-token-from-before-a-refresh"
        private(set) var refreshRequests = 0
        let real: String

        init(real: String) { self.real = real }

        func accessToken() -> String? { lock.withLock { current } }

        func refreshedAccessToken(failedToken: String) async -> String? {
            try? await Task.sleep(nanoseconds: 10_000_000)  // the app's SDK talking to its server
            return lock.withLock {
                refreshRequests += 1
                current = real
                return real
            }
        }
    }

    final class PlainDecryptor: EventDecryptor, @unchecked Sendable {
        func decrypt(roomId: String, eventJson: String, timeLeftMs: UInt64) async -> String? {
            guard (1...10_000).contains(timeLeftMs) else { return nil }
            try? await Task.sleep(nanoseconds: 10_000_000)  // a key fetch
            guard var event = try? JSONSerialization.jsonObject(with: Data(eventJson.utf8)) as? [String: Any],
                  let content = event["content"] as? [String: Any],
                  let ciphertext = content["ciphertext"] as? String,
                  let clear = try? JSONSerialization.jsonObject(with: Data(ciphertext.utf8)) as? [String: Any]
            else { return nil }
            event["type"] = clear["type"]
            event["content"] = clear["content"]
            guard let data = try? JSONSerialization.data(withJSONObject: event) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
    }

    func testAClientOnTheAppsSessionRefreshesThroughTheAppAndDecryptsWithItsCrypto() async throws {
        let alice = try await Homeserver.register("swiftappalice", displayName: "Alice App")
        let bob = try await Homeserver.register("swiftappbob")  // the app's own SDK signed in this device
        let whoami = try await Homeserver.call("GET", "/_matrix/client/v3/account/whoami", token: bob.token)
        let bobDevice = try XCTUnwrap(whoami["device_id"] as? String)
        let roomId = try await Homeserver.createDm(alice, with: bob)
        let clear: [String: Any] = ["type": "m.room.message",
                                    "content": ["msgtype": "m.text", "body": "secret for \(bob.userId)"]]
        let clearText = String(decoding: try JSONSerialization.data(withJSONObject: clear), as: UTF8.self)
        let eventId = try await Homeserver.send(alice, roomId, type: "m.room.encrypted", [
            "algorithm": "m.megolm.v1.aes-sha2", "sender_key": "k", "session_id": "s", "device_id": "D",
            "ciphertext": clearText,
        ])

        let tokens = AppTokens(real: bob.token)
        let push = try Client.forAppSession(homeserverUrl: Homeserver.url, userId: bob.userId, deviceId: bobDevice,
                                            tokenProvider: tokens, storeDir: temporaryFolder(),
                                            eventDecryptor: PlainDecryptor())
        XCTAssertEqual(push.session()?.deviceId, bobDevice, "the app's device, signed in as built")
        let outcome = try await push.handlePush(payload: try apnsPush(eventId: eventId, roomId: roomId), deadlineMs: 10_000)
        guard case .show(let notification) = outcome else { return XCTFail("outcome: \(outcome)") }
        XCTAssertEqual(notification.body, "secret for \(bob.userId)")
        XCTAssertTrue(notification.highlight, "the rules judged the cleartext (display-name mention)")
        XCTAssertEqual(tokens.refreshRequests, 1, "the stale token was refreshed by the app, once")
        do {
            try await push.logout()
            XCTFail("logging out would delete the app's device")
        } catch MatrixPushError.InvalidInput {}
    }
}
