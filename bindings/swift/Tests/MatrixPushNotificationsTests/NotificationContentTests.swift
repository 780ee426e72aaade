import Foundation
import MatrixPush
import MatrixPushTestSupport
import MatrixPushNotifications
import XCTest

/// Live pushes through the real library against the test Synapse, mapped to what the extension
/// would set.
final class NotificationContentTests: XCTestCase {
    func testADirectMessageIsTitledBySenderWithSoundAndRoomThread() async throws {
        let alice = try await Homeserver.register("ncalice", displayName: "Alice Content")
        let bob = try await Homeserver.register("ncbob")
        let room = try await Homeserver.createDm(alice, with: bob)
        let eventId = try await Homeserver.sendText(alice, room, "Dinner at eight?")
        let client = try await phone(for: bob)
        let push = try apnsPush(eventId: eventId, roomId: room, unread: 3)

        let outcome = try await client.handlePush(payload: push, deadlineMs: 10_000)
        let response = PushResponse(outcome, payload: push)
        let content = try XCTUnwrap(response.content, "\(outcome)")
        XCTAssertEqual(content.title, "Alice Content")
        XCTAssertEqual(content.subtitle, "")
        XCTAssertEqual(content.body, "Dinner at eight?")
        XCTAssertEqual(content.soundName, "default")
        XCTAssertEqual(content.threadIdentifier, room)
        XCTAssertEqual(content.interruptionLevel, .active)
        XCTAssertEqual(content.badge, 3)
        XCTAssertEqual(response.badge, 3)
        XCTAssertEqual(content.categoryIdentifier, NotificationCategory.message.rawValue)
        XCTAssertFalse(content.isFallback)
        XCTAssertEqual(content.userInfo, ["room_id": room, "event_id": eventId])
        XCTAssertEqual(response.removeRoomIds, [])

        // APNs may deliver twice: the second time shows nothing.
        let again = PushResponse(try await client.handlePush(payload: push, deadlineMs: 10_000), payload: push)
        XCTAssertNil(again.content)
        XCTAssertEqual(again.reason, "duplicate")
    }

    func testAGroupMessageIsPassiveAndAMentionIsTimeSensitive() async throws {
        let alice = try await Homeserver.register("ncgalice", displayName: "Alice Group")
        let bob = try await Homeserver.register("ncgbob", displayName: "Bob Group")
        let carol = try await Homeserver.register("ncgcarol")
        let room = try await Homeserver.createRoom(alice, name: "Swift Lounge", members: [bob, carol])
        let client = try await phone(for: bob)

        // .m.rule.message: notify, no sound.
        let plain = try await Homeserver.sendText(alice, room, "lunch anyone?")
        let quiet = PushResponse(try await client.handlePush(payload: try apnsPush(eventId: plain, roomId: room), deadlineMs: 10_000))
        let quietContent = try XCTUnwrap(quiet.content)
        XCTAssertEqual(quietContent.title, "Swift Lounge")
        XCTAssertEqual(quietContent.subtitle, "Alice Group")
        XCTAssertEqual(quietContent.body, "lunch anyone?")
        XCTAssertNil(quietContent.soundName)
        XCTAssertEqual(quietContent.interruptionLevel, .passive)
        XCTAssertEqual(quietContent.threadIdentifier, room)

        // .m.rule.is_user_mention: notify, sound, highlight.
        let mention = try await Homeserver.send(alice, room, [
            "msgtype": "m.text", "body": "Bob Group: can you review?", "m.mentions": ["user_ids": [bob.userId]],
        ])
        let loud = PushResponse(try await client.handlePush(payload: try apnsPush(eventId: mention, roomId: room), deadlineMs: 10_000))
        let loudContent = try XCTUnwrap(loud.content)
        XCTAssertEqual(loudContent.interruptionLevel, .timeSensitive)
        XCTAssertEqual(loudContent.soundName, "default")
        XCTAssertEqual(loudContent.title, "Swift Lounge")
        XCTAssertEqual(loudContent.threadIdentifier, room, "one group per room")
    }

    func testACallRingsInTheCallCategory() async throws {
        let alice = try await Homeserver.register("nccalice", displayName: "Alice Call")
        let bob = try await Homeserver.register("nccbob")
        let room = try await Homeserver.createDm(alice, with: bob)
        let call = try await Homeserver.send(alice, room, type: "m.call.invite", [
            "call_id": "swift-call", "lifetime": 60_000, "version": "1", "party_id": "alice-phone",
            "offer": ["type": "offer", "sdp": "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"],
        ])
        let client = try await phone(for: bob)
        let response = PushResponse(try await client.handlePush(payload: try apnsPush(eventId: call, roomId: room), deadlineMs: 10_000))
        let content = try XCTUnwrap(response.content)
        XCTAssertEqual(content.categoryIdentifier, NotificationCategory.call.rawValue)
        XCTAssertEqual(content.soundName, "ring", "the rule's sound (.m.rule.call)")
        XCTAssertEqual(content.title, "Alice Call")
        XCTAssertEqual(content.body, "Incoming call")
    }

    func testAnInviteIsInTheInviteCategory() async throws {
        let alice = try await Homeserver.register("ncialice", displayName: "Alice Invite")
        let bob = try await Homeserver.register("ncibob")
        let room = try await Homeserver.createRoom(alice, name: "Swift Invitation", invited: [bob])
        let invite = try await Homeserver.stateEvent(alice, room, "m.room.member", bob.userId)
        let client = try await phone(for: bob)
        let push = try apnsPush(eventId: invite["event_id"] as! String, roomId: room)
        let outcome = try await client.handlePush(payload: push, deadlineMs: 10_000)
        let content = try XCTUnwrap(PushResponse(outcome).content, "\(outcome)")
        XCTAssertEqual(content.categoryIdentifier, NotificationCategory.invite.rawValue)
        XCTAssertEqual(content.title, "Swift Invitation")
        XCTAssertEqual(content.subtitle, "", "the body names the inviter")
        XCTAssertEqual(content.body, "Alice Invite invited you to Swift Invitation")
        XCTAssertEqual(content.soundName, "default")
    }

    func testAReadRoomIsDismissedAndABadgePushRemovesReadRooms() async throws {
        let alice = try await Homeserver.register("ncbalice", displayName: "Alice Badge")
        let bob = try await Homeserver.register("ncbbob")
        let room = try await Homeserver.createDm(alice, with: bob)
        let other = try await Homeserver.createDm(alice, with: bob)
        let client = try await phone(for: bob)

        // Shown, then read on another device: the badge push (what APNs delivers for a read
        // receipt) takes the room's notifications away.
        let first = try await Homeserver.sendText(alice, room, "first")
        let shown = PushResponse(try await client.handlePush(payload: try apnsPush(eventId: first, roomId: room), deadlineMs: 10_000))
        XCTAssertNotNil(shown.content)
        try await Homeserver.markRead(bob, room, first)
        let badgePush = try decodeApns(userInfoJson: #"{"aps": {"badge": 0}}"#)
        let outcome = try await client.handlePush(payload: badgePush, deadlineMs: 10_000)
        XCTAssertEqual(outcome, .badgeUpdate(unread: 0, readRooms: [room]))
        let badge = PushResponse(outcome, payload: badgePush)
        XCTAssertNil(badge.content)
        XCTAssertEqual(badge.badge, 0)
        XCTAssertEqual(badge.removeRoomIds, [room])
        let delivered = [
            DeliveredNotification(identifier: "n1", threadIdentifier: room, roomId: room),
            DeliveredNotification(identifier: "n2", threadIdentifier: other, roomId: other),
            DeliveredNotification(identifier: "n3", threadIdentifier: room, roomId: nil),
            DeliveredNotification(identifier: "n4", threadIdentifier: "io.matrixpush.fallback", roomId: room),
        ]
        XCTAssertEqual(badge.identifiersToRemove(from: delivered), ["n1", "n3", "n4"])

        // Read before its push is handled: nothing to show, the room's notifications go.
        let second = try await Homeserver.sendText(alice, other, "second")
        try await Homeserver.markRead(bob, other, second)
        let late = try await phone(for: bob)
        let dismissed = try await late.handlePush(payload: try apnsPush(eventId: second, roomId: other), deadlineMs: 10_000)
        XCTAssertEqual(dismissed, .dismiss(roomIds: [other]))
        let dismiss = PushResponse(dismissed)
        XCTAssertNil(dismiss.content)
        XCTAssertEqual(dismiss.identifiersToRemove(from: delivered), ["n2"])
    }

    func testTheLibraryFallbackAndTheSwiftFallbackSayTheSame() throws {
        let generic = FallbackNotification(eventId: "$e", roomId: "!r", title: nil, body: "New message", unread: 2, reason: "x")
        let content = NotificationContent(generic, style: NotificationStyle(appName: "Sample"))
        XCTAssertEqual(content.title, "Sample")
        XCTAssertEqual(content.body, "New message")
        XCTAssertEqual(content.soundName, "default", "a fallback is never silent")
        XCTAssertEqual(content.interruptionLevel, .active)
        XCTAssertEqual(content.threadIdentifier, "!r")
        XCTAssertEqual(content.badge, 2)
        XCTAssertTrue(content.isFallback)
        XCTAssertEqual(content.userInfo["matrix_push_fallback"], "1")

        let push = try apnsPush(eventId: "$e", roomId: "!r", unread: 2)
        var swift = NotificationContent.fallback(for: push, style: NotificationStyle(appName: "Sample"))
        XCTAssertEqual(swift, content)
        // Full-format pushes name the room and carry the text; encrypted ones do not show it.
        let full = try fixture("apns-full-17a-named-room.json")
        let userInfo = (full["device_payload"] as! [String: Any])["payload"] as! [String: Any]
        let named = try APNs.decode(userInfo: userInfo)
        swift = NotificationContent.fallback(for: named)
        XCTAssertEqual(swift.title, named.roomName)
        XCTAssertEqual(swift.body, named.body)
        var encrypted = named
        encrypted.eventType = "m.room.encrypted"
        XCTAssertEqual(NotificationContent.fallback(for: encrypted).body, "Encrypted message")
        // Nothing decoded at all.
        let nothing = NotificationContent.fallback(for: nil)
        XCTAssertEqual(nothing.title, "Matrix")
        XCTAssertEqual(nothing.threadIdentifier, "io.matrixpush.fallback")
        XCTAssertNil(nothing.badge)
        // An empty room name names nothing: the sender's name titles it, as in the library.
        var unnamed = named
        unnamed.roomName = ""
        unnamed.senderDisplayName = "Alice"
        XCTAssertEqual(NotificationContent.fallback(for: unnamed).title, "Alice")
    }

    func testTheFallbackOfAPushThatNamesNoEventIsTheBadgeAlone() throws {
        var badgeOnly = try apnsPush(eventId: "$e", roomId: "!r", unread: 5)
        badgeOnly.eventId = nil
        let response = PushResponse.fallback(for: badgeOnly)
        XCTAssertNil(response.content, "a badge-only push has nothing to show")
        XCTAssertEqual(response.badge, 5)
        // One that names an event still shows the generic notification.
        XCTAssertNotNil(PushResponse.fallback(for: try apnsPush(eventId: "$e", roomId: "!r")).content)
    }
}
