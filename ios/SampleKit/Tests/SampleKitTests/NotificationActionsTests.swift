import MatrixPushNotifications
import XCTest
@testable import SampleKit

final class NotificationActionsTests: XCTestCase {
    func testEachCategoryHasItsButtons() {
        XCTAssertEqual(NotificationAction.actions(for: .message).map(\.id), [.markRead])
        XCTAssertEqual(NotificationAction.actions(for: .invite).map(\.id), [.acceptInvite, .declineInvite])
        XCTAssertEqual(NotificationAction.actions(for: .call), [])
        XCTAssertTrue(NotificationAction.declineInvite.isDestructive)
        XCTAssertTrue(NotificationAction.acceptInvite.requiresUnlock && NotificationAction.declineInvite.requiresUnlock)
        XCTAssertFalse(NotificationAction.markRead.requiresUnlock, "marking read works from the lock screen")
    }

    func testIdentifiersAreDistinctFromTheCategories() {
        let actions = Set(NotificationAction.ID.allCases.map(\.rawValue))
        XCTAssertEqual(actions.count, NotificationAction.ID.allCases.count)
        XCTAssertTrue(actions.isDisjoint(with: NotificationCategory.allCases.map(\.rawValue)))
    }

    func testAResponseBecomesARequest() {
        let info: [AnyHashable: Any] = ["room_id": "!r:x", "event_id": "$e", "aps": ["badge": 1]]
        XCTAssertEqual(NotificationActionRequest(actionIdentifier: NotificationAction.ID.markRead.rawValue, userInfo: info),
                       .markRead(roomId: "!r:x", eventId: "$e"))
        XCTAssertEqual(NotificationActionRequest(actionIdentifier: NotificationAction.ID.acceptInvite.rawValue, userInfo: info),
                       .acceptInvite(roomId: "!r:x"))
        XCTAssertEqual(NotificationActionRequest(actionIdentifier: NotificationAction.ID.declineInvite.rawValue, userInfo: info)?.roomId,
                       "!r:x")
    }

    func testNoRequestWithoutTheIdsOrForATap() {
        let markRead = NotificationAction.ID.markRead.rawValue
        XCTAssertNil(NotificationActionRequest(actionIdentifier: markRead, userInfo: ["room_id": "!r:x"]), "no event")
        XCTAssertNil(NotificationActionRequest(actionIdentifier: markRead, userInfo: ["event_id": "$e"]), "no room")
        XCTAssertNil(NotificationActionRequest(actionIdentifier: markRead, userInfo: ["room_id": "", "event_id": "$e"]))
        XCTAssertNil(NotificationActionRequest(actionIdentifier: markRead, userInfo: ["room_id": 5, "event_id": "$e"]))
        XCTAssertNil(NotificationActionRequest(actionIdentifier: "com.apple.UNNotificationDefaultActionIdentifier",
                                               userInfo: ["room_id": "!r:x", "event_id": "$e"]))
    }
}
