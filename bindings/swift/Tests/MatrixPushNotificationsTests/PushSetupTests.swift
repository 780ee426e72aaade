import Foundation
import MatrixPush
import MatrixPushTestSupport
import MatrixPushNotifications
import XCTest

final class PushSetupTests: XCTestCase {
    func json(_ text: String?) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(XCTUnwrap(text).utf8)) as! [String: Any]
    }

    func testTheDeviceTokenIsSentAsBase64() throws {
        // The captured APNs delivery: its pusher's pushkey and the hex path Sygnal sent to Apple.
        let file = try fixture("apns-event_id_only-01-plain-dm.json")
        let pushkey = (file["pusher"] as! [String: Any])["pushkey"] as! String
        let path = (file["provider_request"] as! [String: Any])["path"] as! String
        let token = Data((0x20...0x3f).map { UInt8($0) })   // as didRegisterForRemoteNotifications hands it
        XCTAssertEqual(APNs.pushkey(deviceToken: token), pushkey)
        XCTAssertEqual(APNs.pushkey(deviceToken: token), "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")
        XCTAssertEqual(APNs.hexDeviceToken(pushkey: pushkey).map { "/3/device/" + $0 }, path)
        XCTAssertNil(APNs.hexDeviceToken(pushkey: "not base64!"))
        XCTAssertEqual(APNs.pushkey(deviceToken: Data([0xff, 0x00, 0xfe])), "/wD+")
    }

    func testTheDefaultPayloadWakesTheExtensionAndCarriesTheSecret() throws {
        XCTAssertEqual(PushSetup.defaultPayloadJson(accountSecret: "k7f2"),
                       #"{"aps":{"alert":{"loc-key":"NEW_MESSAGE"},"mutable-content":1},"cs":"k7f2"}"#)
        let secret = PushSetupState.newSecret()
        XCTAssertEqual(secret.count, 22)
        XCTAssertNotEqual(secret, PushSetupState.newSecret())
        XCTAssertNil(secret.rangeOfCharacter(from: CharacterSet(charactersIn: "+/=")))
    }

    func testEnsureAndRotateLeaveExactlyOnePusher() async throws {
        let user = try await Homeserver.register("pushsetup")
        let client = try await phone(for: user)
        let stateFile = URL(fileURLWithPath: temporaryFolder()).appendingPathComponent("account/push-setup.json")
        let setup = PushSetup(gatewayUrl: "http://127.0.0.1:9/_matrix/push/v1/notify", stateFile: stateFile,
                              deviceDisplayName: "Test iPhone")
        let ensuredBeforeAnyToken = try await setup.ensure(client: client)
        XCTAssertNil(ensuredBeforeAnyToken)

        let tokenA = Data((0..<32).map { UInt8($0) })
        let tokenB = Data((0..<32).map { UInt8(255 - $0) })
        let created = try await setup.register(deviceToken: tokenA, client: client)
        XCTAssertEqual(created, .created)
        let sameToken = try await setup.register(deviceToken: tokenA, client: client)
        XCTAssertEqual(sameToken, .unchanged)
        let ensured = try await setup.ensure(client: client)
        XCTAssertEqual(ensured, .unchanged)

        let state = try XCTUnwrap(setup.loadState())
        XCTAssertEqual(state.pushkey, APNs.pushkey(deviceToken: tokenA))
        var pushers = try await client.pushers()
        XCTAssertEqual(pushers.count, 1)
        let pusher = try XCTUnwrap(pushers.first)
        XCTAssertEqual(pusher.appId, "io.matrixpush.sample.ios")
        XCTAssertEqual(pusher.pushkey, APNs.pushkey(deviceToken: tokenA))
        XCTAssertEqual(pusher.format, "event_id_only")
        XCTAssertEqual(pusher.deviceDisplayName, "Test iPhone")
        let payload = try json(pusher.defaultPayloadJson)
        let aps = try XCTUnwrap(payload["aps"] as? [String: Any])
        XCTAssertEqual(aps["mutable-content"] as? Int, 1)
        XCTAssertEqual((aps["alert"] as? [String: Any])?["loc-key"] as? String, "NEW_MESSAGE")
        XCTAssertEqual(payload["cs"] as? String, state.accountSecret)

        // APNs hands out a new token: the pusher moves, the old one is gone.
        let rotated = try await setup.register(deviceToken: tokenB, client: client)
        XCTAssertEqual(rotated, .rotated(oldPushkey: APNs.pushkey(deviceToken: tokenA)))
        pushers = try await client.pushers()
        XCTAssertEqual(pushers.map(\.pushkey), [APNs.pushkey(deviceToken: tokenB)])
        XCTAssertEqual(try json(pushers[0].defaultPayloadJson)["cs"] as? String, state.accountSecret, "same account, same secret")

        // The next start (a new process): ensure finds it in place.
        let restarted = PushSetup(gatewayUrl: "http://127.0.0.1:9/_matrix/push/v1/notify", stateFile: stateFile,
                                  deviceDisplayName: "Test iPhone")
        let afterRestart = try await restarted.ensure(client: client)
        XCTAssertEqual(afterRestart, .unchanged)
        // The server lost it (a gateway rejection, say): ensure puts it back.
        try await client.removePusher(appId: PushSetup.sampleAppId, pushkey: APNs.pushkey(deviceToken: tokenB))
        let restored = try await restarted.ensure(client: client)
        XCTAssertEqual(restored, .created)
        pushers = try await client.pushers()
        XCTAssertEqual(pushers.count, 1)

        // A release under another app id (a production gateway app, say), same token: the pusher
        // moves to the new app id and the old one is removed.
        var production = restarted
        production.appId = "io.matrixpush.sample.ios.production"
        let moved = try await production.register(deviceToken: tokenB, client: client)
        XCTAssertEqual(moved, .rotated(oldPushkey: APNs.pushkey(deviceToken: tokenB)))
        pushers = try await client.pushers()
        XCTAssertEqual(pushers.map(\.appId), ["io.matrixpush.sample.ios.production"])

        try await production.unregister(client: client)
        pushers = try await client.pushers()
        XCTAssertEqual(pushers, [])
        XCTAssertNil(production.loadState())
    }

    /// Synapse → a push gateway on loopback (standing in for Sygnal) → the APNs payload Sygnal
    /// makes for event_id_only → decode → route → handle within the budget.
    func testAPushThroughTheGatewayReachesTheExtensionPath() async throws {
        let gateway = try LoopbackListener()
        gateway.serve()
        defer { gateway.stop() }
        let alice = try await Homeserver.register("gwalice", displayName: "Alice Gateway")
        let bob = try await Homeserver.register("gwbob")
        let room = try await Homeserver.createDm(alice, with: bob)
        let client = try await phone(for: bob)
        let setup = PushSetup(gatewayUrl: gateway.url + "/_matrix/push/v1/notify",
                              stateFile: URL(fileURLWithPath: temporaryFolder()).appendingPathComponent("push-setup.json"))
        let token = Data((0..<32).map { UInt8(($0 * 7) & 0xff) })
        _ = try await setup.register(deviceToken: token, client: client)
        let secret = try XCTUnwrap(setup.loadState()?.accountSecret)

        let eventId = try await Homeserver.sendText(alice, room, "through the gateway")
        let body = try await gateway.waitFor { String(decoding: $0, as: UTF8.self).contains(eventId) }
        let notify = try JSONSerialization.jsonObject(with: XCTUnwrap(body, "no push reached the gateway")) as! [String: Any]
        let notification = notify["notification"] as! [String: Any]
        let device = (notification["devices"] as! [[String: Any]])[0]
        XCTAssertEqual(device["pushkey"] as? String, APNs.pushkey(deviceToken: token))
        XCTAssertEqual(device["app_id"] as? String, PushSetup.sampleAppId)
        let data = device["data"] as! [String: Any]
        XCTAssertEqual(data["format"] as? String, "event_id_only")
        XCTAssertNil(notification["content"], "event_id_only: no message text leaves the homeserver")

        // Sygnal's APNs event_id_only payload: default_payload + room_id, event_id, counts.
        var userInfo = data["default_payload"] as! [String: Any]
        userInfo["room_id"] = notification["room_id"]
        userInfo["event_id"] = notification["event_id"]
        let counts = notification["counts"] as? [String: Any] ?? [:]
        if let unread = counts["unread"] { userInfo["unread_count"] = unread }
        if let missed = counts["missed_calls"] { userInfo["missed_calls"] = missed }
        XCTAssertEqual((userInfo["aps"] as? [String: Any])?["mutable-content"] as? Int, 1, "the extension runs")

        let push = try APNs.decode(userInfo: userInfo as [AnyHashable: Any])
        XCTAssertEqual(routingSecret(of: push), secret)
        let accounts = [AccountRoute(id: "other", secret: "someone-else"), setup.route(accountId: "bob")]
        XCTAssertEqual(routeAccount(push, among: accounts)?.id, "bob")

        let response = await ExtensionBudget().handle(push, with: client)
        let content = try XCTUnwrap(response.content)
        XCTAssertEqual(content.title, "Alice Gateway")
        XCTAssertEqual(content.body, "through the gateway")
        XCTAssertEqual(content.soundName, "default")
        XCTAssertEqual(content.threadIdentifier, room)
        XCTAssertEqual(content.badge, counts["unread"] as? Int)

        // The gateway goes away with the test: so does the pusher.
        try await setup.unregister(client: client)
    }

    func testRoutingByTheAccountSecret() throws {
        let push = try apnsPush(eventId: "$e", roomId: "!r", extra: #", "cs": "s2""#)
        XCTAssertEqual(routingSecret(of: push), "s2")
        let a = AccountRoute(id: "a", secret: "s1")
        let b = AccountRoute(id: "b", secret: "s2")
        XCTAssertEqual(routeAccount(push, among: [a, b]), b)
        XCTAssertNil(routeAccount(push, among: [a]), "a push for a pusher the app no longer knows")
        XCTAssertEqual(routeAccount(push, among: [AccountRoute(id: "new", secret: nil)])?.id, "new")
        let bare = try apnsPush(eventId: "$e", roomId: "!r")
        XCTAssertNil(routingSecret(of: bare))
        XCTAssertEqual(routeAccount(bare, among: [a]), a)
        XCTAssertNil(routeAccount(bare, among: [a, b]))
    }
}
