import Foundation

/// The name the homeserver keeps for this phone: the pusher's `deviceDisplayName` and the new
/// device's name at sign-in, which Element and other clients show in their session lists.
///
/// Since iOS 16, `UIDevice.current.name` is the generic model ("iPhone") unless the app holds the
/// `com.apple.developer.device-information.user-assigned-device-name` entitlement, which Apple
/// grants on request. So a name that is only the generic model means "no entitlement", and the
/// sample names the app and the model instead: "matrix-push sample on iPhone 16 Pro (iOS 26.1)".
/// `DeviceInfo.swift` in the app reads the inputs from UIKit and `uname`.
public struct DeviceName: Equatable, Sendable {
    /// `UIDevice.current.name`: "Alice's iPhone" with the entitlement, "iPhone" without.
    public var assignedName: String
    /// `UIDevice.current.model`: "iPhone", "iPad".
    public var genericModel: String
    /// `utsname.machine`, "iPhone17,1"; on a simulator the host's "arm64", so pass the
    /// simulator's `SIMULATOR_MODEL_IDENTIFIER` here instead and set `isSimulator`.
    public var modelIdentifier: String
    public var isSimulator: Bool
    /// `UIDevice.current.systemName` ("iOS", "iPadOS") and `systemVersion` ("26.1").
    public var systemName: String
    public var systemVersion: String

    public init(
        assignedName: String, genericModel: String, modelIdentifier: String, isSimulator: Bool = false,
        systemName: String, systemVersion: String
    ) {
        self.assignedName = assignedName
        self.genericModel = genericModel
        self.modelIdentifier = modelIdentifier
        self.isSimulator = isSimulator
        self.systemName = systemName
        self.systemVersion = systemVersion
    }

    /// The names iOS reports when it withholds the user's own (the entitlement is missing).
    static let genericNames: Set<String> = ["iphone", "ipad", "ipod touch"]

    /// The user's own name for the phone, when iOS gave it to the app.
    public var userAssignedName: String? {
        let name = assignedName.trimmingCharacters(in: .whitespacesAndNewlines)
        let generic = Self.genericNames.union([genericModel.lowercased()])
        return name.isEmpty || generic.contains(name.lowercased()) ? nil : name
    }

    /// "iPhone 16 Pro" for "iPhone17,1"; the identifier itself for models the table does not
    /// know (newer than this sample), which still tells the user more than "iPhone".
    public var modelName: String {
        let name = Self.marketingNames[modelIdentifier] ?? (modelIdentifier.isEmpty ? genericModel : modelIdentifier)
        return isSimulator ? "\(name) Simulator" : name
    }

    /// The display name: the user's own name for the phone when there is one, else
    /// "`appName` on `modelName` (`systemName` `systemVersion`)".
    public func displayName(appName: String) -> String {
        if let userAssignedName { return userAssignedName }
        return "\(appName) on \(modelName) (\(systemName) \(systemVersion))"
    }

    /// The iPhones iOS 16 (the sample's minimum) to iOS 26 run on. iPads and later models show
    /// their identifier.
    static let marketingNames: [String: String] = [
        "iPhone10,1": "iPhone 8", "iPhone10,4": "iPhone 8",
        "iPhone10,2": "iPhone 8 Plus", "iPhone10,5": "iPhone 8 Plus",
        "iPhone10,3": "iPhone X", "iPhone10,6": "iPhone X",
        "iPhone11,2": "iPhone XS", "iPhone11,4": "iPhone XS Max", "iPhone11,6": "iPhone XS Max",
        "iPhone11,8": "iPhone XR",
        "iPhone12,1": "iPhone 11", "iPhone12,3": "iPhone 11 Pro", "iPhone12,5": "iPhone 11 Pro Max",
        "iPhone12,8": "iPhone SE (2nd generation)",
        "iPhone13,1": "iPhone 12 mini", "iPhone13,2": "iPhone 12",
        "iPhone13,3": "iPhone 12 Pro", "iPhone13,4": "iPhone 12 Pro Max",
        "iPhone14,4": "iPhone 13 mini", "iPhone14,5": "iPhone 13",
        "iPhone14,2": "iPhone 13 Pro", "iPhone14,3": "iPhone 13 Pro Max",
        "iPhone14,6": "iPhone SE (3rd generation)",
        "iPhone14,7": "iPhone 14", "iPhone14,8": "iPhone 14 Plus",
        "iPhone15,2": "iPhone 14 Pro", "iPhone15,3": "iPhone 14 Pro Max",
        "iPhone15,4": "iPhone 15", "iPhone15,5": "iPhone 15 Plus",
        "iPhone16,1": "iPhone 15 Pro", "iPhone16,2": "iPhone 15 Pro Max",
        "iPhone17,3": "iPhone 16", "iPhone17,4": "iPhone 16 Plus",
        "iPhone17,1": "iPhone 16 Pro", "iPhone17,2": "iPhone 16 Pro Max", "iPhone17,5": "iPhone 16e",
        "iPhone18,3": "iPhone 17", "iPhone18,4": "iPhone Air",
        "iPhone18,1": "iPhone 17 Pro", "iPhone18,2": "iPhone 17 Pro Max",
    ]
}

extension DeviceName {
    /// The kernel's name for the hardware (`uname`'s machine): "iPhone17,1" on a phone, the
    /// host's architecture ("arm64", "x86_64") on a simulator or a computer.
    public static func machine() -> String {
        var info = utsname()
        guard uname(&info) == 0 else { return "" }
        return withUnsafeBytes(of: &info.machine) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
