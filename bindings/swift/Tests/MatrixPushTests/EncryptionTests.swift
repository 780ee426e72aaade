import Foundation
import MatrixPush
import MatrixPushTestSupport
import XCTest

/// The built-in encryption from Swift (`Client(…, encryption: true)`, a library built with the
/// `e2ee` feature): signing in makes the device a full E2EE device whose keys other users find, a
/// real Megolm message (from `e2ee-sender`, a crypto client of the same crates: no canned
/// ciphertext) shows its cleartext, and what cannot be decrypted says why.
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

    func testARealMegolmMessageShowsItsCleartextADeviceWithoutTheKeySaysWhyAndRecoveryWithoutSecretStorageIsRejected() async throws {
        let bob = try await Homeserver.register("swiftencrealbob")
        let text = "the falcon lands at dawn \(UUID().uuidString)"
        let phone = try Client(homeserverUrl: Homeserver.url, storeDir: temporaryFolder(), sessionStore: MemoryStore(),
                               deviceDisplayName: "Swift tests", eventDecryptor: nil, encryption: true)
        _ = try await phone.loginPassword(identifier: .user(user: bob.userId), password: bob.password)

        let sender = try E2eeSender(recipient: bob.userId, text: text)
        defer { sender.stop() }
        let invited = try await sender.nextLine()
        let roomId = try XCTUnwrap(invited["room_id"] as? String, "\(invited)")
        try await phone.acceptInvite(roomId: roomId)
        let sent = try await sender.nextLine()
        let eventId = try XCTUnwrap(sent["event_id"] as? String, "\(sent)")
        let push = try decodeFcm(data: ["event_id": eventId, "room_id": roomId, "prio": "high"])

        // 1. The room key came by to-device: the phone decrypts the real ciphertext.
        let outcome = try await phone.handlePush(payload: push, deadlineMs: 10_000)
        guard case .show(let shown) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(shown.body, text, "\(shown)")
        XCTAssertEqual(shown.kind, .message(msgtype: "m.text"), "\(shown)")
        XCTAssertNil(shown.undecryptable, "\(shown)")
        XCTAssertEqual(shown.senderId, invited["sender"] as? String, "\(shown)")

        // 2. Bob never set up recovery: no secret storage, so any key is rejected, typed.
        do {
            let recovery = try await phone.recover(recoveryKey: "EsTc not a key")
            XCTFail("recovered without secret storage: \(recovery)")
        } catch MatrixPushError.RecoveryKeyRejected(let detail) {
            XCTAssertFalse(detail.isEmpty)
        }

        // 3. The same push on another device of Bob's, without built-in encryption (and no
        // decryptor): the key never reached it, so it shows an encrypted notification and why.
        let other = try Client(homeserverUrl: Homeserver.url, storeDir: temporaryFolder(), sessionStore: MemoryStore(),
                               deviceDisplayName: "Swift tests (encryption off)", eventDecryptor: nil)
        _ = try await other.loginPassword(identifier: .user(user: bob.userId), password: bob.password)
        let withoutKey = try await other.handlePush(payload: push, deadlineMs: 10_000)
        guard case .show(let encrypted) = withoutKey else { return XCTFail("\(withoutKey)") }
        XCTAssertEqual(encrypted.kind, .encrypted, "\(encrypted)")
        XCTAssertEqual(encrypted.undecryptable, .noDecryption, "\(encrypted)")
        XCTAssertNotEqual(encrypted.body, text, "no cleartext without the key: \(encrypted)")
    }
}

/// `e2ee-sender RECIPIENT TEXT` (tests/src/bin/e2ee-sender.rs; scripts/swift-test builds it, copies
/// it into the chroot and passes its path in MATRIX_PUSH_E2EE_SENDER): a real crypto client that
/// invites RECIPIENT to an encrypted DM (first JSON line), waits until they joined, then sends TEXT
/// as Megolm ciphertext (second line). It inherits the harness variables; its temporary files and
/// stderr go to a folder of its own. `stop()` kills it.
final class E2eeSender: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process = Process()
    private let folder = temporaryFolder()
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = Data()
    private var ended = false

    init(recipient: String, text: String) throws {
        try harnessBinary("e2ee-sender", variable: "MATRIX_PUSH_E2EE_SENDER", into: process, folder: folder) {
            Failure(description: $0)
        }
        process.arguments = [recipient, text]
        process.standardInput = FileHandle.nullDevice
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let reading = stdout.fileHandleForReading
        Thread { [self] in
            while true {
                let data = reading.availableData
                if data.isEmpty { break }
                received(data)
            }
            lock.withLock { ended = true }
        }.start()
    }

    private func received(_ data: Data) {
        lock.withLock {
            partial.append(data)
            while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
                partial = Data(partial[partial.index(after: newline)...])
            }
        }
    }

    private func errors() -> String {
        harnessBinaryErrors(folder: folder)
    }

    /// The next JSON line within `timeout` seconds; throws with the sender's stderr otherwise.
    func nextLine(timeout: TimeInterval = 90) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let (line, done): (String?, Bool) = lock.withLock {
                (lines.isEmpty ? nil : lines.removeFirst(), ended)
            }
            if let line {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                    throw Failure(description: "e2ee-sender printed \(line), not a JSON object; stderr:\n\(errors())")
                }
                return object
            }
            if done || Date() > deadline {
                throw Failure(description: "e2ee-sender printed no line \(done ? "before its output ended" : "within \(Int(timeout)) s"); stderr:\n\(errors())")
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    /// Kills the sender (whether or not it finished) and removes its folder.
    func stop() {
        if process.isRunning {
            process.terminate()
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// Points `process` at the test binary `name`, which scripts/swift-test builds, copies into the
/// chroot and passes by path in `variable`: it inherits the harness variables, with `folder` as
/// its temporary folder and its stderr in `folder`'s stderr.log (see `harnessBinaryErrors`).
/// Failures are made by `failure`, so each caller throws its own error type.
func harnessBinary(
    _ name: String, variable: String, into process: Process, folder: String,
    failure: (String) -> Error
) throws {
    guard let binary = ProcessInfo.processInfo.environment[variable], !binary.isEmpty else {
        throw failure("\(variable) is not set: run the suite through scripts/swift-test, which builds \(name) (cargo build -p matrix-push-tests --bin \(name)) and passes its path")
    }
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw failure("\(variable)=\(binary) is not an executable")
    }
    process.executableURL = URL(fileURLWithPath: binary)
    var environment = ProcessInfo.processInfo.environment
    environment["TMPDIR"] = folder
    process.environment = environment
    let stderrPath = folder + "/stderr.log"
    guard FileManager.default.createFile(atPath: stderrPath, contents: nil),
          let stderr = FileHandle(forWritingAtPath: stderrPath) else {
        throw failure("cannot write \(stderrPath)")
    }
    process.standardError = stderr
}

/// The end of what a binary started with `harnessBinary` wrote to stderr, for failure messages.
func harnessBinaryErrors(folder: String) -> String {
    String((try? String(contentsOfFile: folder + "/stderr.log", encoding: .utf8))?.suffix(4000) ?? "")
}
