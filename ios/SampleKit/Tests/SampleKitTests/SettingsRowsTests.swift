import Foundation
import MatrixPush
import XCTest
@testable import SampleKit

final class SettingsRowsTests: XCTestCase {
    private func room(isDm: Bool = false, mode: RoomNotificationMode? = nil) -> RoomSummary {
        RoomSummary(roomId: "!room:example.org", name: "Climbing club", isDm: isDm, joinedMembers: 3, mode: mode)
    }

    func testARoomRowNamesTheRoomItsKindAndItsMode() {
        let row = RoomRow(room(mode: .mentionsAndKeywordsOnly))
        XCTAssertEqual(row.id, "!room:example.org")
        XCTAssertEqual(row.title, "Climbing club")
        XCTAssertEqual(row.mode, "Mentions & keywords")
        XCTAssertEqual(row.systemImage, "person.3")
        XCTAssertEqual(RoomRow(room(isDm: true)).systemImage, "person")
    }

    func testARoomWithoutARuleOfItsOwnFollowsTheDefaults() {
        XCTAssertEqual(RoomRow(room(mode: nil)).mode, "Default")
        XCTAssertEqual(RoomModeOption.selected(nil).mode, .allMessages, "the picker shows what the defaults do")
    }

    func testThePickerOffersEachModeOnceWithItsOwnLabel() {
        XCTAssertEqual(RoomModeOption.all.map(\.mode), [.allMessages, .mentionsAndKeywordsOnly, .mute])
        XCTAssertEqual(Set(RoomModeOption.all.map(\.label)).count, 3)
        for option in RoomModeOption.all {
            XCTAssertEqual(RoomModeOption.selected(option.mode), option)
        }
        XCTAssertEqual(RoomModeOption.describe(.mute), "Nothing")
        XCTAssertEqual(RoomModeOption.describe(.allMessages), "All messages")
    }

    func testTheAccountDetailsAreTheSessionsIds() {
        let details = AccountDetails(SessionInfo(
            homeserver: "https://matrix.example.org/", userId: "@alice:example.org", deviceId: "ABCDEF",
            softLoggedOut: false))
        XCTAssertEqual(details.userId, "@alice:example.org")
        XCTAssertEqual(details.deviceId, "ABCDEF")
        XCTAssertEqual(details.homeserver, "https://matrix.example.org/")
    }

    func testReadReceiptsArePublicUntilTheUserChoosesPrivateOnes() throws {
        let suite = "SampleKitTests.\(UUID().uuidString)"
        let defaults = try XCTUnwrap(UserDefaults(suiteName: suite))
        defer { defaults.removePersistentDomain(forName: suite) }
        XCTAssertFalse(ReadReceiptSetting(defaults: defaults).privateReceipts, "m.read by default")
        ReadReceiptSetting(defaults: defaults).privateReceipts = true
        XCTAssertTrue(ReadReceiptSetting(defaults: defaults).privateReceipts, "kept")
        ReadReceiptSetting(defaults: defaults).privateReceipts = false
        XCTAssertFalse(ReadReceiptSetting(defaults: defaults).privateReceipts)
    }
}
