import Foundation
import MatrixPushNotifications

/// What the app and its extension share, from their Info.plists (set in project.yml).
enum SampleConfig {
    static func info(_ key: String) -> String {
        (Bundle.main.object(forInfoDictionaryKey: key) as? String) ?? ""
    }

    /// `group.io.matrixpush.sample`: the shared container holding the store folder.
    static var appGroup: String { info("MatrixPushAppGroup") }

    /// `<TEAMID>.io.matrixpush.sample.shared`: the Keychain group holding the session.
    static var keychainAccessGroup: String { info("AppIdentifierPrefix") + info("MatrixPushKeychainGroupSuffix") }

    /// The pusher's app id; the push gateway's config has the same key.
    static var pushAppId: String {
        let value = info("MatrixPushPushAppId")
        return value.isEmpty ? PushSetup.sampleAppId : value
    }

    static var gatewayUrl: String { info("MatrixPushGatewayURL") }

    /// The app group's folder (nil when the App Groups capability is missing).
    static var container: URL? {
        FileManager.default.containerURL(forSecurityApplicationGroupIdentifier: appGroup)
    }

    /// The library's store folder: synced rules, room cache, handled event ids, the lock that
    /// keeps the app and the extension from refreshing the token twice. One account: one folder.
    static var storeDir: URL? { container?.appendingPathComponent("matrix-push/account", isDirectory: true) }

    /// PushSetup's state (routing secret, last pushkey), beside the store.
    static var pushSetupFile: URL? { container?.appendingPathComponent("matrix-push/push-setup.json") }

    static func pushSetup(deviceDisplayName: String) -> PushSetup? {
        guard let file = pushSetupFile else { return nil }
        return PushSetup(gatewayUrl: gatewayUrl, stateFile: file, appId: pushAppId,
                         appDisplayName: "Matrix Push Sample", deviceDisplayName: deviceDisplayName)
    }

    static let style = NotificationStyle(appName: "Matrix Push")

    /// The library's built-in end-to-end encryption, in the app and the extension alike: the
    /// device is a full E2EE device whose keys are in the store folder (`crypto/`, in the App
    /// Group), so the extension decrypts an encrypted push with the keys the app's syncs brought.
    /// Settings › Recover verifies the device and opens the key backup.
    static let encryption = true

    /// Whether the extension holds `com.apple.developer.usernotifications.filtering` (Apple
    /// grants it on request), set with MATRIX_PUSH_NSE_FILTERING in project.yml together with the
    /// entitlement: only then does iOS drop a push the extension answers with an empty content.
    /// Without it the extension shows a quiet notice instead (SampleKit's `HiddenPush`).
    static var canFilterNotifications: Bool { info("MatrixPushNSEFiltering") == "YES" }

    /// How the pusher and the device name the app on the homeserver, when iOS withholds the
    /// phone's own name (SampleKit's `DeviceName`).
    static let appNameForDevices = "matrix-push sample"
}
