import MatrixPush
import XCTest
@testable import SampleKit

final class RecoveryTextTests: XCTestCase {
    func testARecoveredAccountSaysTheDeviceIsVerifiedAndWhichBackupItReads() {
        XCTAssertEqual(
            RecoveryText.message(for: Recovery(crossSigned: true, backupVersion: "3")),
            "This device is verified; missing keys are read from backup (version 3).")
    }

    func testEachOutcomeHasItsOwnMessage() {
        let messages = [
            Recovery(crossSigned: true, backupVersion: "1"), Recovery(crossSigned: true, backupVersion: nil),
            Recovery(crossSigned: false, backupVersion: "1"), Recovery(crossSigned: false, backupVersion: nil),
        ].map(RecoveryText.message(for:))
        XCTAssertEqual(Set(messages).count, 4, "\(messages)")
        XCTAssertTrue(messages[1].hasPrefix("This device is verified."))
        XCTAssertTrue(messages[2].contains("not verified"))
    }

    func testARejectedKeyIsSaidPlainly() {
        XCTAssertEqual(
            RecoveryText.rejected(detail: "the recovery key does not open the account's secret storage"),
            "Not recovered: the recovery key does not open the account's secret storage.")
    }

    func testABlankKeyIsNotSent() {
        XCTAssertFalse(RecoveryText.canSubmit(""))
        XCTAssertFalse(RecoveryText.canSubmit("  \n"))
        XCTAssertTrue(RecoveryText.canSubmit("EsTc 1234 abcd"))
    }
}
