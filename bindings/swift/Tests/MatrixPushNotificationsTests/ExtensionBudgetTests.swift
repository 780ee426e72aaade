import Foundation
import MatrixPush
import MatrixPushTestSupport
import MatrixPushNotifications
import XCTest

final class ExtensionBudgetTests: XCTestCase {
    /// A client signed in (as far as it knows) to `url`: a saved session, no request made.
    func client(for url: String) throws -> Client {
        let session = #"{"homeserver": "\#(url)/", "user_id": "@ghost:localhost", "device_id": "GHOST", "access_token": "syt_ghost"}"#
        let client = try Client(homeserverUrl: url, storeDir: temporaryFolder(), sessionStore: MemoryStore(session),
                                deviceDisplayName: nil, eventDecryptor: nil)
        XCTAssertEqual(try client.restoreSession()?.userId, "@ghost:localhost")
        return client
    }

    func testTheDefaultsLeaveAMarginBelowThirtySeconds() {
        let budget = ExtensionBudget()
        XCTAssertEqual(budget.limit, .seconds(30))
        XCTAssertLessThanOrEqual(budget.handlePushDeadlineMs, 22_000)
        XCTAssertGreaterThan(budget.handlePushDeadlineMs, 21_000)
        XCTAssertLessThanOrEqual(budget.remaining, .seconds(25))
        let late = ExtensionBudget(start: .now - .seconds(40))
        XCTAssertEqual(late.remaining, .zero)
        XCTAssertEqual(late.handlePushDeadlineMs, 0)
    }

    func testAHomeserverThatNeverAnswersGivesTheFallbackWithinTheBudget() async throws {
        let silent = try LoopbackListener()   // accepts connections, never answers
        defer { silent.stop() }
        let client = try client(for: silent.url)
        let push = try apnsPush(eventId: "$never", roomId: "!silent:localhost", unread: 4)
        let budget = ExtensionBudget(limit: .seconds(4), margin: .seconds(1), libraryOverrun: .seconds(1))
        XCTAssertLessThanOrEqual(budget.handlePushDeadlineMs, 2_000)
        let started = ContinuousClock.now
        let response = await budget.handle(push, with: client, style: NotificationStyle(appName: "Sample"))
        let elapsed = ContinuousClock.now - started
        XCTAssertLessThan(elapsed, .seconds(3), "within the cutoff")
        XCTAssertGreaterThan(elapsed, .milliseconds(1_500), "the library waited for its deadline")
        let content = try XCTUnwrap(response.content)
        XCTAssertTrue(content.isFallback)
        XCTAssertEqual(content.title, "Sample")
        XCTAssertEqual(content.body, "New message")
        XCTAssertEqual(content.soundName, "default")
        XCTAssertEqual(content.threadIdentifier, "!silent:localhost")
        XCTAssertEqual(content.badge, 4)
        XCTAssertEqual(content.eventId, "$never")
    }

    func testAHomeserverThatIsDownGivesTheFallbackWithinTheBudget() async throws {
        let closed = try LoopbackListener()
        let url = closed.url
        closed.stop()   // nothing listens there any more: connections are refused
        let client = try client(for: url)
        let push = try apnsPush(eventId: "$down", roomId: "!down:localhost")
        let budget = ExtensionBudget(limit: .seconds(4), margin: .seconds(1), libraryOverrun: .seconds(1))
        let started = ContinuousClock.now
        let response = await budget.handle(push, with: client)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
        XCTAssertEqual(response.content?.isFallback, true)
        XCTAssertEqual(response.content?.threadIdentifier, "!down:localhost")
    }

    func testACallThatNeverReturnsIsCutOffAtTheCutoff() async throws {
        let full = try fixture("apns-full-17a-named-room.json")
        let userInfo = (full["device_payload"] as! [String: Any])["payload"] as! [String: Any]
        let push = try APNs.decode(userInfo: userInfo)
        let budget = ExtensionBudget(limit: .seconds(2), margin: .seconds(1), libraryOverrun: .milliseconds(200))
        let started = ContinuousClock.now
        let response = await budget.run(push) { deadlineMs in
            XCTAssertLessThanOrEqual(deadlineMs, 800)
            try? await Task.sleep(for: .seconds(30))
            return .duplicate
        }
        let elapsed = ContinuousClock.now - started
        XCTAssertLessThan(elapsed, .milliseconds(1_600))
        XCTAssertGreaterThan(elapsed, .milliseconds(900))
        let content = try XCTUnwrap(response.content)
        XCTAssertTrue(content.isFallback)
        XCTAssertEqual(content.title, push.roomName)
        XCTAssertEqual(content.body, push.body)

        // An answer in time is used as it is. (A budget of its own: the one above is spent, and
        // with nothing left its timer races even an instant answer.)
        let fresh = ExtensionBudget(limit: .seconds(2), margin: .seconds(1), libraryOverrun: .milliseconds(200))
        let quick = await fresh.run(push) { _ in .duplicate }
        XCTAssertNil(quick.content)
        XCTAssertEqual(quick.reason, "duplicate")
    }
}
