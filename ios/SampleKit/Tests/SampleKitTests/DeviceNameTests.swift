import XCTest
@testable import SampleKit

final class DeviceNameTests: XCTestCase {
    private func device(_ assigned: String, model: String = "iPhone", id: String = "iPhone17,1",
                        simulator: Bool = false) -> DeviceName {
        DeviceName(assignedName: assigned, genericModel: model, modelIdentifier: id, isSimulator: simulator,
                   systemName: "iOS", systemVersion: "26.1")
    }

    func testTheUsersOwnNameWhenIOSGivesIt() {
        // With the user-assigned-device-name entitlement (or before iOS 16).
        XCTAssertEqual(device("Alice's iPhone").displayName(appName: "matrix-push sample"), "Alice's iPhone")
        XCTAssertEqual(device("  Work phone \n").displayName(appName: "x"), "Work phone")
    }

    func testWithoutTheEntitlementTheAppAndTheModel() {
        XCTAssertEqual(device("iPhone").displayName(appName: "matrix-push sample"),
                       "matrix-push sample on iPhone 16 Pro (iOS 26.1)")
        XCTAssertEqual(device("IPHONE").userAssignedName, nil, "case does not make it the user's")
        XCTAssertEqual(device("", id: "iPhone18,4").displayName(appName: "a"), "a on iPhone Air (iOS 26.1)")
        let pad = DeviceName(assignedName: "iPad", genericModel: "iPad", modelIdentifier: "iPad16,3",
                             systemName: "iPadOS", systemVersion: "26.0")
        XCTAssertEqual(pad.displayName(appName: "a"), "a on iPad16,3 (iPadOS 26.0)", "unknown models by identifier")
    }

    func testSimulatorsSayso() {
        XCTAssertEqual(device("iPhone", id: "iPhone17,3", simulator: true).modelName, "iPhone 16 Simulator")
        XCTAssertEqual(device("iPhone", id: "").modelName, "iPhone", "no identifier at all: the generic model")
    }

    func testEveryModelNameNamesAnIPhone() {
        for (identifier, name) in DeviceName.marketingNames {
            XCTAssertTrue(identifier.hasPrefix("iPhone") && name.hasPrefix("iPhone"), identifier)
        }
        XCTAssertEqual(DeviceName.marketingNames["iPhone17,1"], "iPhone 16 Pro")
    }

    func testMachineIsTheKernelsHardwareName() {
        let machine = DeviceName.machine()
        XCTAssertFalse(machine.isEmpty)
        XCTAssertFalse(machine.contains("\0"))
        #if arch(x86_64)
        XCTAssertEqual(machine, "x86_64")
        #elseif arch(arm64)
        XCTAssertTrue(["arm64", "aarch64"].contains(machine) || machine.hasPrefix("iPhone") || machine.hasPrefix("iPad"), machine)
        #endif
    }
}
