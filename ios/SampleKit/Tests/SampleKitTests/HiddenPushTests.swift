import MatrixPush
import MatrixPushNotifications
import XCTest
@testable import SampleKit

final class HiddenPushTests: XCTestCase {
    private let style = NotificationStyle(appName: "Matrix Push")

    func testOutcomesWithNothingToShow() {
        XCTAssertEqual(HiddenPush(.suppressed(reason: .edit, serverNotified: true)), .suppressed)
        XCTAssertEqual(HiddenPush(.duplicate), .duplicate)
        XCTAssertEqual(HiddenPush(.dismiss(roomIds: ["!r:x"])), .readElsewhere)
        XCTAssertEqual(HiddenPush(.badgeUpdate(unread: 0, readRooms: [])), .readElsewhere)
        XCTAssertNil(HiddenPush(.show(notification: notification())))
        let fallback = FallbackNotification(eventId: "$e", roomId: "!r:x", title: nil, body: "New message", unread: 1, reason: "timeout")
        XCTAssertNil(HiddenPush(.fallback(notification: fallback)))
    }

    func testWithTheFilteringEntitlementThePushIsDropped() throws {
        let payload = try decodeApns(userInfoJson: #"{"event_id": "$e", "room_id": "!r:x", "unread_count": 2}"#)
        for reason in [HiddenPush.suppressed, .duplicate, .readElsewhere, .otherAccount] {
            XCTAssertNil(reason.notice(canFilter: true, payload: payload, badge: 2, style: style))
        }
    }

    func testWithoutItAQuietNoticeNeverTheLoudAlert() throws {
        let payload = try decodeApns(userInfoJson: #"{"event_id": "$e", "room_id": "!r:x", "unread_count": 2}"#)
        let notice = try XCTUnwrap(HiddenPush.suppressed.notice(canFilter: false, payload: payload, badge: 2, style: style))
        XCTAssertNil(notice.soundName)
        XCTAssertEqual(notice.interruptionLevel, .passive)
        XCTAssertEqual(notice.categoryIdentifier, HiddenPush.quietCategory)
        XCTAssertEqual(notice.threadIdentifier, HiddenPush.quietCategory, "the notices stack together")
        XCTAssertEqual(notice.title, "Matrix Push")
        XCTAssertEqual(notice.badge, 2)
        XCTAssertEqual(notice.userInfo["room_id"], "!r:x", "a later read receipt for the room removes it too")
        XCTAssertFalse(notice.body.isEmpty)

        let bodies = Set([HiddenPush.suppressed, .duplicate, .readElsewhere, .otherAccount].compactMap {
            $0.notice(canFilter: false, payload: nil, badge: nil, style: style)?.body
        })
        XCTAssertEqual(bodies.count, 4, "each reason says what happened")
    }
}
