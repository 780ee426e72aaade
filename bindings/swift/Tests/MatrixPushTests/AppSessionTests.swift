import Foundation
import MatrixPush
import MatrixPushTestSupport
import XCTest

/// `Client.forAppSession`, the app's own crypto: matrix-push on the session of the app's own Matrix
/// SDK, with a Swift TokenProvider (an async refresh) and a Swift EventDecryptor (an async decrypt)
/// that forward to that SDK — here `app-crypto` (tests/src/bin/app-crypto.rs, a real crypto device
/// of the same crates as the SDK's built-in encryption), against the harness Synapse. The message
/// is real Megolm ciphertext from `e2ee-sender`: no canned ciphertext.
final class AppSessionTests: XCTestCase {
    /// The app's SDK's current token; a refresh is asked of the SDK, which alone refreshes.
    final class AppTokens: TokenProvider, @unchecked Sendable {
        private let lock = NSLock()
        private var current: String
        private var requests = 0
        let app: AppCrypto

        init(app: AppCrypto) {
            self.app = app
            current = app.accessToken
        }

        var refreshRequests: Int { lock.withLock { requests } }

        func accessToken() -> String? { lock.withLock { current } }

        func refreshedAccessToken(failedToken: String) async -> String? {
            lock.withLock { requests += 1 }
            guard let answer = try? await app.request(["refresh": ["failed": failedToken]]),
                  let token = answer["access_token"] as? String else { return nil }
            lock.withLock { current = token }
            return token
        }
    }

    /// Decryption by the app's SDK, with its own room keys, within the time the push has left.
    final class AppDecryptor: EventDecryptor, @unchecked Sendable {
        private let lock = NSLock()
        private var syncs = 0
        private var times: [UInt64] = []
        let app: AppCrypto

        init(app: AppCrypto) { self.app = app }

        var keySyncs: Int { lock.withLock { syncs } }
        var timesLeft: [UInt64] { lock.withLock { times } }

        func decrypt(roomId: String, eventJson: String, timeLeftMs: UInt64) async -> String? {
            lock.withLock { times.append(timeLeftMs) }
            guard let event = try? JSONSerialization.jsonObject(with: Data(eventJson.utf8)),
                  let answer = try? await app.request(["decrypt": ["room_id": roomId, "event": event,
                                                                   "time_left_ms": timeLeftMs]])
            else { return nil }
            if answer["synced"] as? Bool == true { lock.withLock { syncs += 1 } }
            guard let clear = answer["cleartext"] as? [String: Any],
                  let data = try? JSONSerialization.data(withJSONObject: clear) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
    }

    func testAClientOnTheAppsSessionRefreshesThroughTheAppsSdkAndDecryptsRealMegolmWithItsKeys() async throws {
        let app = try await AppCrypto.start()
        defer { app.stop() }
        // The app's SDK's token was issued about now; the test server's live 15 s.
        let tokenIssued = Date()
        // A mention only the cleartext shows (the body names the user): the server cannot see it.
        let text = "\(app.userId), the falcon lands at dawn \(UUID().uuidString)"
        let tokens = AppTokens(app: app)
        let decryptor = AppDecryptor(app: app)
        let push = try Client.forAppSession(homeserverUrl: Homeserver.url, userId: app.userId, deviceId: app.deviceId,
                                            tokenProvider: tokens, storeDir: temporaryFolder(),
                                            eventDecryptor: decryptor)
        XCTAssertEqual(push.session()?.userId, app.userId, "the app's user, signed in as built")
        XCTAssertEqual(push.session()?.deviceId, app.deviceId, "the app's device, signed in as built")

        let sender = try E2eeSender(recipient: app.userId, text: text)
        defer { sender.stop() }
        let invited = try await sender.nextLine()
        let roomId = try XCTUnwrap(invited["room_id"] as? String, "\(invited)")
        try await push.acceptInvite(roomId: roomId)  // on the app's session, its token still valid
        let sent = try await sender.nextLine()
        let eventId = try XCTUnwrap(sent["event_id"] as? String, "\(sent)")

        // The app is not running: its token expires; the room key waits on the server, by
        // to-device for the app's device.
        let expired = 16 - Date().timeIntervalSince(tokenIssued)
        if expired > 0 { try await Task.sleep(nanoseconds: UInt64(expired * 1_000_000_000)) }

        let payload = try decodeFcm(data: ["event_id": eventId, "room_id": roomId, "prio": "high"])
        let outcome = try await push.handlePush(payload: payload, deadlineMs: 10_000)
        guard case .show(let shown) = outcome else { return XCTFail("outcome: \(outcome)") }
        XCTAssertEqual(shown.body, text, "\(shown)")
        XCTAssertEqual(shown.kind, .message(msgtype: "m.text"), "\(shown)")
        XCTAssertNil(shown.undecryptable, "\(shown)")
        XCTAssertEqual(shown.senderId, invited["sender"] as? String, "\(shown)")
        XCTAssertTrue(shown.highlight, "the rules judged the cleartext (a mention of the user): \(shown)")
        XCTAssertEqual(decryptor.keySyncs, 1, "the room key came with the app SDK's own sync")
        let timesLeft = decryptor.timesLeft
        XCTAssertTrue(!timesLeft.isEmpty && timesLeft.allSatisfy { (1...10_000).contains($0) }, "time left: \(timesLeft)")

        // The expired token was refreshed once, asked of the app's SDK and made by it. (A refresh
        // request with a valid token changes nothing: it reports the count.)
        XCTAssertEqual(tokens.refreshRequests, 1, "refresh requests")
        let state = try await app.request(["refresh": ["failed": ""]])
        XCTAssertEqual(state["refreshes"] as? Int, 1, "the app's SDK refreshed once: \(state)")
        let whoami = try await push.whoami()
        XCTAssertEqual(whoami, app.userId)
        do {
            try await push.logout()
            XCTFail("logging out would delete the app's device")
        } catch MatrixPushError.InvalidInput {}
    }
}

/// `app-crypto` (tests/src/bin/app-crypto.rs; scripts/swift-test builds it, copies it into the
/// chroot and passes its path in MATRIX_PUSH_APP_CRYPTO): the app's own Matrix SDK — a new user
/// signed in on a real crypto device, whose first JSON line names the session; then one JSON answer
/// line per request line. It inherits the harness variables; its temporary files and stderr go to
/// a folder of its own. `stop()` ends it.
final class AppCrypto: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process = Process()
    private let folder = temporaryFolder()
    private let input = Pipe()
    private let output = Pipe()
    /// Requests one at a time, with blocking I/O off Swift's cooperative threads.
    private let queue = DispatchQueue(label: "app-crypto")
    private var partial = Data()  // only touched on `queue`
    private(set) var userId = ""
    private(set) var deviceId = ""
    private(set) var accessToken = ""

    private init() throws {
        try harnessBinary("app-crypto", variable: "MATRIX_PUSH_APP_CRYPTO", into: process, folder: folder) {
            Failure(description: $0)
        }
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    /// Starts it and reads the session it signed in.
    static func start() async throws -> AppCrypto {
        let app = try AppCrypto()
        let first = try app.parse(try await app.exchange(nil))
        guard let userId = first["user_id"] as? String, let deviceId = first["device_id"] as? String,
              let token = first["access_token"] as? String else {
            app.stop()
            throw Failure(description: "app-crypto's first line has no session: \(first.keys)")
        }
        app.userId = userId
        app.deviceId = deviceId
        app.accessToken = token
        return app
    }

    /// One request, answered.
    func request(_ request: [String: Any]) async throws -> [String: Any] {
        let line = try JSONSerialization.data(withJSONObject: request)
        let answer = try parse(try await exchange(line))
        if let error = answer["error"] {
            throw Failure(description: "app-crypto: \(error); stderr:\n\(errors())")
        }
        return answer
    }

    /// Writes `line` (if any), then reads the next line, on `queue`.
    private func exchange(_ line: Data?) async throws -> Data {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, Error>) in
            queue.async { [self] in
                continuation.resume(with: Result {
                    if let line {
                        try input.fileHandleForWriting.write(contentsOf: line + Data("\n".utf8))
                    }
                    return try readLine()
                })
            }
        }
    }

    private func readLine() throws -> Data {
        while true {
            if let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(partial[partial.startIndex..<newline])
                partial = Data(partial[partial.index(after: newline)...])
                return line
            }
            let data = output.fileHandleForReading.availableData
            if data.isEmpty {
                throw Failure(description: "app-crypto ended (running: \(process.isRunning)); stderr:\n\(errors())")
            }
            partial.append(data)
        }
    }

    private func parse(_ line: Data) throws -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            throw Failure(description: "app-crypto printed \(String(decoding: line, as: UTF8.self)), not a JSON object; stderr:\n\(errors())")
        }
        return object
    }

    private func errors() -> String {
        harnessBinaryErrors(folder: folder)
    }

    /// Ends it (closing its input ends its loop; killed if still running) and removes its folder.
    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning {
            process.terminate()
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
