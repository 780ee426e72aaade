import Foundation
import MatrixPush
import MatrixPushTestSupport
import XCTest

/// A notification's buttons from Swift (Mark as read, Accept, Decline) and its sender's face.
final class ActionsTests: XCTestCase {
    /// Polls `condition` every 100 ms for up to 10 s (Synapse applies receipts asynchronously).
    func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<100 {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        XCTFail("timed out waiting until \(what)")
    }

    func testMarkReadPrivatelyReadsTheNotification() async throws {
        let alice = try await Homeserver.register("swiftactalice")
        let bob = try await Homeserver.register("swiftactbob")
        let dm = try await Homeserver.createDm(alice, with: bob)
        let last = try await Homeserver.sendText(alice, dm, "lunch?")
        try await waitUntil("listed unread") { try await Homeserver.notificationRead(bob, last) == false }
        let client = try await phone(for: bob)
        try await client.markRead(roomId: dm, eventId: last, visibility: .private)
        try await waitUntil("read") { try await Homeserver.notificationRead(bob, last) == true }
        do {
            try await client.markRead(roomId: "#not-a-room:x", eventId: last, visibility: .public)
            XCTFail("a room alias is not a room id")
        } catch MatrixPushError.InvalidInput {}
    }

    func testInvitesAreAcceptedAndDeclined() async throws {
        let alice = try await Homeserver.register("swiftinviter")
        let bob = try await Homeserver.register("swiftinvitee")
        let yes = try await Homeserver.createRoom(alice, name: "Yes", invited: [bob])
        let no = try await Homeserver.createRoom(alice, name: "No", invited: [bob])
        let client = try await phone(for: bob)
        try await client.acceptInvite(roomId: yes)
        try await client.declineInvite(roomId: no)
        let joined = try await client.rooms().map(\.name)
        XCTAssertEqual(joined, ["Yes"], "joined the one, not the other")
    }

    func testAnAvatarIsAThumbnailFromTheSharedCacheWhenNoTimeIsLeft() async throws {
        let alice = try await Homeserver.register("swiftface")
        let bob = try await Homeserver.register("swiftviewer")
        let face = try await Homeserver.uploadPng(alice)
        let other = try await Homeserver.uploadPng(alice)
        let client = try await phone(for: bob)
        let notYet = await client.avatar(mxc: face, deadlineMs: 0)
        XCTAssertNil(notYet, "not cached yet, and no time to fetch it")
        let fetched = await client.avatar(mxc: face, deadlineMs: 5_000)
        let thumbnail = try XCTUnwrap(fetched)
        XCTAssertTrue(thumbnail.contentType.hasPrefix("image/"), thumbnail.contentType)
        XCTAssertEqual(thumbnail.bytes.first, 0x89, "a PNG")
        let cached = await client.avatar(mxc: face, deadlineMs: 0)
        XCTAssertEqual(cached, thumbnail, "the next push takes it from the cache")
        let uncached = await client.avatar(mxc: other, deadlineMs: 0)
        XCTAssertNil(uncached)
        let missing = await client.avatar(mxc: "mxc://localhost/doesnotexist", deadlineMs: 2_000)
        XCTAssertNil(missing)
    }
}
