import MatrixPush
import MatrixPushNotifications
import XCTest
@testable import SampleKit

final class EncryptedNoticeTests: XCTestCase {
    func testAKeyWithheldFromUnverifiedDevicesPointsToRecovery() {
        XCTAssertEqual(
            EncryptedNotice.hint(for: .missingRoomKey(withheldCode: "m.unverified")),
            "Verify this device to read it — Settings › Recover")
    }

    func testAKeyThatMayBeInTheBackupPointsToRecoveryAKeyTheSenderRefusedDoesNot() {
        for reason: UndecryptableReason in [.missingRoomKey(withheldCode: nil), .unknownMessageIndex] {
            XCTAssertTrue(EncryptedNotice.hint(for: reason)?.contains("Settings › Recover") == true, "\(reason)")
        }
        for code in ["m.blacklisted", "m.unauthorised", "m.no_olm"] {
            XCTAssertEqual(
                EncryptedNotice.hint(for: .missingRoomKey(withheldCode: code)),
                "The sender did not share the key with this device")
        }
    }

    func testNothingToSayWithoutAReasonOrDecryptionAndNeverTheStoresWording() {
        XCTAssertNil(EncryptedNotice.hint(for: nil))
        XCTAssertNil(EncryptedNotice.hint(for: .noDecryption))
        XCTAssertEqual(EncryptedNotice.hint(for: .unavailable(message: "sqlite: disk I/O error")), "Could not be decrypted now")
    }

    func testEveryOtherReasonHasAShortLine() throws {
        for reason: UndecryptableReason in [.untrustedSender, .malformed, .appDecryptorFailed, .outOfTime] {
            let hint = try XCTUnwrap(EncryptedNotice.hint(for: reason), "\(reason)")
            XCTAssertLessThanOrEqual(hint.count, 60, hint)
        }
    }

    func testTheLineGoesUnderEncryptedMessageOnly() {
        let encrypted = notification(kind: .encrypted, body: "Encrypted message",
                                     undecryptable: .missingRoomKey(withheldCode: "m.unverified"))
        let content = EncryptedNotice.annotate(NotificationContent(encrypted), for: encrypted)
        XCTAssertEqual(content.body, "Encrypted message\nVerify this device to read it — Settings › Recover")

        let noReason = notification(kind: .encrypted, body: "Encrypted message")
        XCTAssertEqual(EncryptedNotice.annotate(NotificationContent(noReason), for: noReason).body, "Encrypted message")
        let message = notification(undecryptable: .outOfTime)
        XCTAssertEqual(EncryptedNotice.annotate(NotificationContent(message), for: message), NotificationContent(message))
    }
}
