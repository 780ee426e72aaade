import Foundation
import MatrixPush
import MatrixPushTestSupport
import XCTest

final class MatrixPushTests: XCTestCase {
    func makeClient(store: SessionStore? = MemoryStore()) throws -> Client {
        try Client(homeserverUrl: Homeserver.url, storeDir: temporaryFolder(), sessionStore: store,
                   deviceDisplayName: "Swift tests", eventDecryptor: nil)
    }

    func testLoginWhoamiAndRestore() async throws {
        let user = try await Homeserver.register("swiftlogin")
        let store = MemoryStore()
        let client = try makeClient(store: store)
        let session = try await client.loginPassword(identifier: .user(user: user.localpart), password: user.password)
        XCTAssertEqual(session.userId, user.userId)
        let whoami = try await client.whoami()
        XCTAssertEqual(whoami, user.userId)
        XCTAssertNotNil(store.load(), "the session was saved")
        let restored = try makeClient(store: store)
        XCTAssertEqual(try restored.restoreSession()?.deviceId, session.deviceId)
        let again = try await restored.whoami()
        XCTAssertEqual(again, user.userId)
    }

    func testRestoreClientFromTheSavedSessionAlone() async throws {
        let store = MemoryStore()
        XCTAssertNil(try restoreClient(storeDir: temporaryFolder(), sessionStore: store,
                                       deviceDisplayName: "Swift tests", eventDecryptor: nil), "nothing saved")
        let user = try await Homeserver.register("swiftrestore")
        let session = try await makeClient(store: store)
            .loginPassword(identifier: .user(user: user.localpart), password: user.password)
        let restored = try XCTUnwrap(try restoreClient(storeDir: temporaryFolder(), sessionStore: store,
                                                       deviceDisplayName: "Swift tests", eventDecryptor: nil))
        XCTAssertEqual(restored.session(), session, "the saved session, homeserver included")
        let whoami = try await restored.whoami()
        XCTAssertEqual(whoami, user.userId)

        let damaged = MemoryStore()
        damaged.save(session: #"{"homeserver": "no url", "user_id": "@a:b", "device_id": "D", "access_token": "t"}"#)
        XCTAssertThrowsError(try restoreClient(storeDir: temporaryFolder(), sessionStore: damaged,
                                               deviceDisplayName: nil, eventDecryptor: nil)) { error in
            guard case MatrixPushError.Storage = error else { return XCTFail("\(error)") }
        }
    }

    func testRoutePushPicksTheAccountByItsSecret() throws {
        let push = try decodeApns(userInfoJson: #"{"event_id": "$e", "room_id": "!r:b", "unread_count": 1, "cs": "s-bob"}"#)
        let alice = AccountRoute(account: "@alice:b", secret: "s-alice")
        let bob = AccountRoute(account: "@bob:b", secret: "s-bob")
        XCTAssertEqual(try routePush(payload: push, routes: [alice, bob]), bob)
        XCTAssertNil(try routePush(payload: push, routes: [alice]), "a push for a secret the app no longer knows")
        let bare = try decodeApns(userInfoJson: #"{"event_id": "$e", "room_id": "!r:b", "unread_count": 1}"#)
        XCTAssertEqual(try routePush(payload: bare, routes: [alice]), alice, "a lone account")
        XCTAssertNil(try routePush(payload: bare, routes: [alice, bob]), "two accounts and no secret")
        var broken = bare
        broken.extraJson = "not json"
        XCTAssertThrowsError(try routePush(payload: broken, routes: [alice, bob]), "bad JSON in a record is an error")
    }

    func testWrongPasswordIsATypedError() async throws {
        let user = try await Homeserver.register("swiftwrong")
        let client = try makeClient()
        do {
            _ = try await client.loginPassword(identifier: .user(user: user.localpart), password: "not it")
            XCTFail("a wrong password was accepted")
        } catch MatrixPushError.Matrix(let errcode, _, let status, _, _) {
            XCTAssertEqual(errcode, "M_FORBIDDEN")
            XCTAssertEqual(status, 403)
        }
    }

    func testEnsurePusherIsIdempotentAndValidated() async throws {
        let user = try await Homeserver.register("swiftpusher")
        let client = try makeClient()
        _ = try await client.loginPassword(identifier: .user(user: user.userId), password: user.password)
        let pusher = Pusher(pushkey: "c3dpZnQtdG9rZW4=", appId: "io.matrixpush.tests.apns", appDisplayName: "Tests",
                            deviceDisplayName: "iPhone", profileTag: nil, lang: "en",
                            gatewayUrl: "http://127.0.0.1:9/_matrix/push/v1/notify", format: "event_id_only",
                            defaultPayloadJson: #"{"aps":{"mutable-content":1}}"#)
        let first = try await client.ensurePusher(pusher: pusher)
        XCTAssertEqual(first, .created)
        let second = try await client.ensurePusher(pusher: pusher)
        XCTAssertEqual(second, .unchanged)
        let listed = try await client.pushers()
        XCTAssertEqual(listed, [pusher])
        var bad = pusher
        bad.gatewayUrl = "https://push.example.org/wrong/path"
        do {
            _ = try await client.ensurePusher(pusher: bad)
            XCTFail("an invalid pusher was accepted")
        } catch MatrixPushError.InvalidInput(let detail) {
            XCTAssertTrue(detail.contains("/_matrix/push/v1/notify"), detail)
        }
    }

    final class Keywords: PushRulesListener, @unchecked Sendable {
        let seen = XCTestExpectation(description: "the keyword arrives through sync")
        func onRulesChanged(keywords: [String], rulesJson: String) {
            if keywords.contains("swift") { seen.fulfill() }
        }
    }

    func testRulesSyncReportsANewKeyword() async throws {
        let user = try await Homeserver.register("swiftrules")
        let client = try makeClient()
        _ = try await client.loginPassword(identifier: .user(user: user.userId), password: user.password)
        let listener = Keywords()
        let task = client.startPushRulesSync(pollTimeoutMs: 5000, listener: listener)
        try await Task.sleep(nanoseconds: 500_000_000)
        try await client.addKeyword(keyword: "swift")
        await fulfillment(of: [listener.seen], timeout: 15)
        task.cancel()
        XCTAssertTrue(client.storedPushRulesJson()?.contains("\"swift\"") ?? false)
    }

    func testDecodeAnApnsFixtureAndHandleALivePush() async throws {
        let file = try fixture("apns-event_id_only-01-plain-dm.json")
        let userInfo = (file["device_payload"] as! [String: Any])["payload"] as! [String: Any]
        let notification = (file["synapse_notify"] as! [String: Any])["notification"] as! [String: Any]
        let json = String(data: try JSONSerialization.data(withJSONObject: userInfo), encoding: .utf8)!
        let decoded = try decodeApns(userInfoJson: json)
        XCTAssertEqual(decoded.eventId, notification["event_id"] as? String)
        XCTAssertEqual(decoded.roomId, notification["room_id"] as? String)
        XCTAssertEqual(decoded.unread, UInt64((notification["counts"] as! [String: Any])["unread"] as! Int))

        let alice = try await Homeserver.register("swiftalice", displayName: "Alice Swift")
        let bob = try await Homeserver.register("swiftbob")
        let room = try await Homeserver.createDm(alice, with: bob)
        let eventId = try await Homeserver.sendText(alice, room, "Hello from Swift")
        let phone = try makeClient()
        _ = try await phone.loginPassword(identifier: .user(user: bob.userId), password: bob.password)
        // What APNs hands the extension for an event_id_only pusher.
        let push = try decodeApns(userInfoJson: #"{"event_id": "\#(eventId)", "room_id": "\#(room)", "unread_count": 1, "aps": {"mutable-content": 1}}"#)
        let outcome = try await phone.handlePush(payload: push, deadlineMs: 10_000)
        // `PushNotification`, unqualified beside Foundation (whose `Notification` it would clash with).
        guard case .show(let shown) = outcome else { return XCTFail("\(outcome)") }
        let _: PushNotification = shown
        XCTAssertEqual(shown.body, "Hello from Swift")
        XCTAssertEqual(shown.roomName, "Alice Swift")
        XCTAssertTrue(shown.isDm && shown.isNoisy)
        let again = try await phone.handlePush(payload: push, deadlineMs: 10_000)
        XCTAssertEqual(again, .duplicate)
    }

    func testRoomsListsTheJoinedRoomsByNameWithTheirModes() async throws {
        let alice = try await Homeserver.register("swiftroomsalice", displayName: "Alice Rooms")
        let bob = try await Homeserver.register("swiftroomsbob")
        let dm = try await Homeserver.createDm(alice, with: bob)
        let quiet = try await Homeserver.createRoom(alice, name: "quiet corner", members: [bob])
        let team = try await Homeserver.createRoom(alice, name: "Team", members: [bob])
        _ = try await Homeserver.createRoom(alice, name: "Invited only", invited: [bob])   // not listed
        let client = try makeClient()
        _ = try await client.loginPassword(identifier: .user(user: bob.userId), password: bob.password)
        try await client.setRoomMode(roomId: quiet, mode: .mute)

        let rooms = try await client.rooms()
        XCTAssertEqual(rooms, [
            RoomSummary(roomId: dm, name: "Alice Rooms", isDm: true, joinedMembers: 2, mode: nil),
            RoomSummary(roomId: quiet, name: "quiet corner", isDm: false, joinedMembers: 2, mode: .mute),
            RoomSummary(roomId: team, name: "Team", isDm: false, joinedMembers: 2, mode: nil),
        ], "sorted by name, ignoring case; invites left out")
    }

    func testHostileInputThrowsInsteadOfCrashing() throws {
        XCTAssertThrowsError(try decodeApns(userInfoJson: String(repeating: "[", count: 100_000)))
        XCTAssertThrowsError(try decodeApns(userInfoJson: "{}"))
        XCTAssertThrowsError(try decodeFcm(data: [:]))
        XCTAssertThrowsError(try evaluatePushRules(rulesJson: "not json", eventJson: "{}", context: RuleContext(userId: "@a:b")))
        XCTAssertThrowsError(try Client(homeserverUrl: "mailto:a@b", storeDir: temporaryFolder(), sessionStore: nil,
                                        deviceDisplayName: nil, eventDecryptor: nil)) { error in
            guard case MatrixPushError.InvalidInput = error else { return XCTFail("\(error)") }
        }
    }

    func testPowerLevelsCrossAsARecordAndActionsComeBackTyped() throws {
        let rules = """
        {"global": {"override": [{"rule_id": ".m.rule.roomnotif", "default": true, "enabled": true,
          "conditions": [{"kind": "event_match", "key": "content.body", "pattern": "@room"},
                         {"kind": "sender_notification_permission", "key": "room"}],
          "actions": ["notify", {"set_tweak": "highlight"}]}], "content": [], "room": [], "sender": [], "underride": []}}
        """
        let event = #"{"type": "m.room.message", "sender": "@boss:b", "content": {"body": "@room hi"}}"#
        var levels = PowerLevels(users: ["@boss:b": 50], usersDefault: 0, notifications: ["room": 50])
        let allowed = try evaluatePushRules(rulesJson: rules, eventJson: event,
                                            context: RuleContext(userId: "@a:b", powerLevels: levels))
        XCTAssertTrue(allowed.highlight)
        XCTAssertEqual(allowed.ruleId, ".m.rule.roomnotif")
        XCTAssertEqual(allowed.actions, [.notify, .highlight(value: nil)])
        levels.users = ["@boss:b": 49]
        XCTAssertFalse(try evaluatePushRules(rulesJson: rules, eventJson: event,
                                             context: RuleContext(userId: "@a:b", powerLevels: levels)).notify)
    }

    final class Lines: MatrixPushLogger, @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func log(level: LogLevel, target: String, message: String) { lock.withLock { lines.append(message) } }
        var all: [String] { lock.withLock { lines } }
    }

    func testTheLoggerNeverSeesSecrets() async throws {
        let lines = Lines()
        setLogger(logger: lines, level: .trace)
        let user = try await Homeserver.register("swiftlog")
        let store = MemoryStore()
        let client = try makeClient(store: store)
        _ = try await client.loginPassword(identifier: .user(user: user.userId), password: user.password)
        _ = try await client.whoami()
        let saved = try JSONSerialization.jsonObject(with: store.load()!.data(using: .utf8)!) as! [String: Any]
        let token = saved["access_token"] as! String
        XCTAssertFalse(lines.all.isEmpty, "the logger hears the library")
        for line in lines.all {
            XCTAssertFalse(line.contains(user.password), line)
            XCTAssertFalse(line.contains(token), line)
        }
    }
}
