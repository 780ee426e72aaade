import Foundation
import SampleKit
import UIKit

extension DeviceName {
    /// This phone as UIKit and the kernel describe it (SampleKit decides the name from it).
    @MainActor
    static var current: DeviceName {
        let device = UIDevice.current
        // On a simulator `uname` names the Mac's processor; the simulated model is here.
        let simulatedModel = ProcessInfo.processInfo.environment["SIMULATOR_MODEL_IDENTIFIER"]
        return DeviceName(
            assignedName: device.name, genericModel: device.model,
            modelIdentifier: simulatedModel ?? DeviceName.machine(), isSimulator: simulatedModel != nil,
            systemName: device.systemName, systemVersion: device.systemVersion)
    }
}
