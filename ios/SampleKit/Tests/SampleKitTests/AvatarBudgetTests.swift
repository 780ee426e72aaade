import Foundation
import MatrixPush
import XCTest
@testable import SampleKit

final class AvatarBudgetTests: XCTestCase {
    func testTheWaitIsWhatIsLeftAndNeverLong() {
        XCTAssertEqual(AvatarBudget.deadlineMs(leftMs: 20_000), AvatarBudget.cap)
        XCTAssertEqual(AvatarBudget.deadlineMs(leftMs: 1_500), 1_500)
        XCTAssertEqual(AvatarBudget.deadlineMs(leftMs: AvatarBudget.minimum), AvatarBudget.minimum)
        XCTAssertEqual(AvatarBudget.deadlineMs(leftMs: AvatarBudget.minimum - 1), 0, "the cache only")
        XCTAssertEqual(AvatarBudget.deadlineMs(leftMs: 0), 0)
    }

    func testOnlyThumbnailSizedImages() {
        let png = Data([0x89, 0x50, 0x4E, 0x47])
        XCTAssertTrue(AvatarBudget.isUsable(Thumbnail(bytes: png, contentType: "image/png")))
        XCTAssertTrue(AvatarBudget.isUsable(Thumbnail(bytes: png, contentType: "application/octet-stream")),
                      "servers that do not say")
        XCTAssertFalse(AvatarBudget.isUsable(Thumbnail(bytes: Data(), contentType: "image/png")))
        XCTAssertFalse(AvatarBudget.isUsable(Thumbnail(bytes: png, contentType: "text/html")))
        XCTAssertFalse(AvatarBudget.isUsable(Thumbnail(bytes: png, contentType: "application/json")))
        let big = Data(count: AvatarBudget.maxBytes + 1)
        XCTAssertFalse(AvatarBudget.isUsable(Thumbnail(bytes: big, contentType: "image/jpeg")))
        XCTAssertTrue(AvatarBudget.isUsable(Thumbnail(bytes: Data(count: AvatarBudget.maxBytes), contentType: "image/jpeg")))
    }
}
