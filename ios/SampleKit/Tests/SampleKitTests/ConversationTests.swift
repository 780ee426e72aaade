import MatrixPush
import XCTest
@testable import SampleKit

final class ConversationTests: XCTestCase {
    func testADirectChatIsNoGroup() throws {
        let chat = try XCTUnwrap(Conversation(notification(isDm: true), ownUserId: "@me:example.org"))
        XCTAssertNil(chat.groupName)
        XCTAssertFalse(chat.isGroup)
        XCTAssertEqual(chat.sender, .init(userId: "@bob:example.org", displayName: "Bob", avatarUrl: "mxc://example.org/bob"))
        XCTAssertEqual(chat.me.userId, "@me:example.org")
        XCTAssertEqual(chat.identifier, "!room:example.org")
    }

    func testARoomIsAGroupNamedLikeTheRoom() throws {
        let room = try XCTUnwrap(Conversation(notification(), ownUserId: "@me:example.org"))
        XCTAssertEqual(room.groupName, "Climbing club")
        let unnamed = try XCTUnwrap(Conversation(notification(roomName: " "), ownUserId: "@me:example.org"))
        XCTAssertEqual(unnamed.groupName, "!room:example.org", "iOS needs a name to draw a group")
    }

    func testOnlyMessagesFromPeople() {
        XCTAssertNotNil(Conversation(notification(kind: .encrypted), ownUserId: "@me:x"))
        XCTAssertNil(Conversation(notification(kind: .invite(inviter: "@bob:example.org")), ownUserId: "@me:x"))
        XCTAssertNil(Conversation(notification(kind: .call(video: false)), ownUserId: "@me:x"))
        XCTAssertNil(Conversation(notification(kind: .other(eventType: "m.room.tombstone")), ownUserId: "@me:x"))
    }

    func testWithoutANameOrAvatar() throws {
        let chat = try XCTUnwrap(Conversation(notification(senderName: "", avatar: nil), ownUserId: "@me:x"))
        XCTAssertNil(chat.sender.displayName)
        XCTAssertNil(chat.sender.avatarUrl)
    }

    func testSeveralAccountsKeepTheirThreadsApart() throws {
        XCTAssertEqual(Conversation.key(roomId: "!r:x", account: nil), "!r:x")
        XCTAssertEqual(Conversation.key(roomId: "!r:x", account: ""), "!r:x")
        XCTAssertNotEqual(Conversation.key(roomId: "!r:x", account: "@a:x"), Conversation.key(roomId: "!r:x", account: "@b:x"))
        let room = try XCTUnwrap(Conversation(notification(), ownUserId: "@me:x", account: "@me:x"))
        XCTAssertEqual(room.identifier, "@me:x|!room:example.org")
    }
}
