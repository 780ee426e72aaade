// TYPE-CHECKING SHIM — NOT Apple's UIKit. Never linked, never shipped, never run.
// scripts/ios-app-check compiles it as a module named UIKit so that the app's non-SwiftUI code
// (AppDelegate, NotificationResponder, AccountModel, the device name) can be type-checked on
// Linux. It mirrors the names, signatures and actor isolation of the iOS 26 SDK's Swift interface
// for exactly the API that code uses (UIKit's classes are @MainActor; a few methods are
// `nonisolated`). Bodies never run. Add a declaration only as the SDK spells it, and only when
// the app starts using it.
@_exported import Foundation   // as the SDK's framework modules re-export it

@inline(never) func shimOnly() -> Never { fatalError("type-checking shim, not UIKit") }

@MainActor open class UIResponder: NSObject {}

public struct UIBackgroundTaskIdentifier: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let invalid = UIBackgroundTaskIdentifier(rawValue: 0)
}

@MainActor open class UIApplication: UIResponder {
    public struct LaunchOptionsKey: Hashable, RawRepresentable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
    }

    open class var shared: UIApplication { shimOnly() }
    open func registerForRemoteNotifications() { shimOnly() }
    nonisolated open func beginBackgroundTask(
        withName taskName: String?, expirationHandler handler: (@MainActor @Sendable () -> Void)? = nil
    ) -> UIBackgroundTaskIdentifier { shimOnly() }
    nonisolated open func endBackgroundTask(_ identifier: UIBackgroundTaskIdentifier) { shimOnly() }
}

/// Objective-C optional requirements: implemented or not, both compile (as on Apple platforms).
@MainActor public protocol UIApplicationDelegate: NSObjectProtocol {
    func application(
        _ application: UIApplication, didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]?
    ) -> Bool
    func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data)
    func application(_ application: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: any Error)
}

extension UIApplicationDelegate {
    public func application(
        _ application: UIApplication, didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]?
    ) -> Bool { shimOnly() }
    public func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data) {
        shimOnly()
    }
    public func application(_ application: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: any Error) {
        shimOnly()
    }
}

@MainActor open class UIDevice: NSObject {
    open class var current: UIDevice { shimOnly() }
    open var name: String { shimOnly() }
    open var model: String { shimOnly() }
    open var systemName: String { shimOnly() }
    open var systemVersion: String { shimOnly() }
}
