// TYPE-CHECKING SHIM — NOT Apple's UserNotifications. Never linked, never shipped, never run.
// scripts/ios-app-check compiles it as a module named UserNotifications so that ios/ (and the
// UserNotifications adapter of MatrixPushNotifications) can be type-checked on Linux. It mirrors
// the names and signatures of the iOS 26 SDK's Swift interface for exactly the API that code uses
// (Objective-C optional protocol requirements become requirements with default implementations;
// the async variants Swift derives from completion handlers are written out). Bodies never run.
// Add a declaration only as the SDK spells it, and only when the app starts using it.
@_exported import Foundation   // as the SDK's framework modules re-export it

@inline(never) func shimOnly() -> Never { fatalError("type-checking shim, not UserNotifications") }

public protocol UNNotificationContentProviding: NSObjectProtocol {}

public enum UNNotificationInterruptionLevel: UInt, Sendable {
    case passive = 0, active = 1, timeSensitive = 2, critical = 3
}

public struct UNNotificationSoundName: Hashable, RawRepresentable, Sendable {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(rawValue: String) { self.rawValue = rawValue }
}

open class UNNotificationSound: NSObject, NSCopying {
    open class var `default`: UNNotificationSound { shimOnly() }
    public convenience init(named name: UNNotificationSoundName) { self.init() }
    open func copy(with zone: NSZone? = nil) -> Any { shimOnly() }
}

open class UNNotificationContent: NSObject, NSCopying, NSMutableCopying {
    open var badge: NSNumber? { shimOnly() }
    open var body: String { shimOnly() }
    open var categoryIdentifier: String { shimOnly() }
    open var sound: UNNotificationSound? { shimOnly() }
    open var subtitle: String { shimOnly() }
    open var threadIdentifier: String { shimOnly() }
    open var title: String { shimOnly() }
    open var userInfo: [AnyHashable: Any] { shimOnly() }
    open var interruptionLevel: UNNotificationInterruptionLevel { shimOnly() }
    open var relevanceScore: Double { shimOnly() }
    open func updating(from provider: any UNNotificationContentProviding) throws -> UNNotificationContent { shimOnly() }
    open func copy(with zone: NSZone? = nil) -> Any { shimOnly() }
    open func mutableCopy(with zone: NSZone? = nil) -> Any { shimOnly() }
}

open class UNMutableNotificationContent: UNNotificationContent {
    override open var badge: NSNumber? { get { shimOnly() } set { shimOnly() } }
    override open var body: String { get { shimOnly() } set { shimOnly() } }
    override open var categoryIdentifier: String { get { shimOnly() } set { shimOnly() } }
    override open var sound: UNNotificationSound? { get { shimOnly() } set { shimOnly() } }
    override open var subtitle: String { get { shimOnly() } set { shimOnly() } }
    override open var threadIdentifier: String { get { shimOnly() } set { shimOnly() } }
    override open var title: String { get { shimOnly() } set { shimOnly() } }
    override open var userInfo: [AnyHashable: Any] { get { shimOnly() } set { shimOnly() } }
    override open var interruptionLevel: UNNotificationInterruptionLevel { get { shimOnly() } set { shimOnly() } }
    override open var relevanceScore: Double { get { shimOnly() } set { shimOnly() } }
}

open class UNNotificationRequest: NSObject {
    open var identifier: String { shimOnly() }
    open var content: UNNotificationContent { shimOnly() }
}

open class UNNotification: NSObject {
    open var date: Date { shimOnly() }
    open var request: UNNotificationRequest { shimOnly() }
}

open class UNNotificationResponse: NSObject {
    open var notification: UNNotification { shimOnly() }
    open var actionIdentifier: String { shimOnly() }
}

public let UNNotificationDefaultActionIdentifier: String = "com.apple.UNNotificationDefaultActionIdentifier"
public let UNNotificationDismissActionIdentifier: String = "com.apple.UNNotificationDismissActionIdentifier"

public struct UNNotificationActionOptions: OptionSet, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let authenticationRequired = UNNotificationActionOptions(rawValue: 1 << 0)
    public static let destructive = UNNotificationActionOptions(rawValue: 1 << 1)
    public static let foreground = UNNotificationActionOptions(rawValue: 1 << 2)
}

open class UNNotificationActionIcon: NSObject {
    public convenience init(systemImageName: String) { self.init() }
    public convenience init(templateImageName: String) { self.init() }
}

open class UNNotificationAction: NSObject {
    open var identifier: String { shimOnly() }
    open var title: String { shimOnly() }
    open var options: UNNotificationActionOptions { shimOnly() }
    open var icon: UNNotificationActionIcon? { shimOnly() }
    public convenience init(identifier: String, title: String, options: UNNotificationActionOptions = []) { self.init() }
    public convenience init(
        identifier: String, title: String, options: UNNotificationActionOptions = [], icon: UNNotificationActionIcon?
    ) { self.init() }
}

public struct UNNotificationCategoryOptions: OptionSet, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let customDismissAction = UNNotificationCategoryOptions(rawValue: 1 << 0)
    public static let allowInCarPlay = UNNotificationCategoryOptions(rawValue: 1 << 1)
    public static let hiddenPreviewsShowTitle = UNNotificationCategoryOptions(rawValue: 1 << 2)
    public static let hiddenPreviewsShowSubtitle = UNNotificationCategoryOptions(rawValue: 1 << 3)
}

open class UNNotificationCategory: NSObject {
    open var identifier: String { shimOnly() }
    open var actions: [UNNotificationAction] { shimOnly() }
    public convenience init(
        identifier: String, actions: [UNNotificationAction], intentIdentifiers: [String],
        options: UNNotificationCategoryOptions = []
    ) { self.init() }
}

public struct UNAuthorizationOptions: OptionSet, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let badge = UNAuthorizationOptions(rawValue: 1 << 0)
    public static let sound = UNAuthorizationOptions(rawValue: 1 << 1)
    public static let alert = UNAuthorizationOptions(rawValue: 1 << 2)
    public static let carPlay = UNAuthorizationOptions(rawValue: 1 << 3)
    public static let criticalAlert = UNAuthorizationOptions(rawValue: 1 << 4)
    public static let providesAppNotificationSettings = UNAuthorizationOptions(rawValue: 1 << 5)
    public static let provisional = UNAuthorizationOptions(rawValue: 1 << 6)
}

public struct UNNotificationPresentationOptions: OptionSet, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let badge = UNNotificationPresentationOptions(rawValue: 1 << 0)
    public static let sound = UNNotificationPresentationOptions(rawValue: 1 << 1)
    public static let list = UNNotificationPresentationOptions(rawValue: 1 << 3)
    public static let banner = UNNotificationPresentationOptions(rawValue: 1 << 4)
}

open class UNUserNotificationCenter: NSObject {
    weak open var delegate: (any UNUserNotificationCenterDelegate)?
    open class func current() -> UNUserNotificationCenter { shimOnly() }
    open func requestAuthorization(
        options: UNAuthorizationOptions = [], completionHandler: @escaping @Sendable (Bool, (any Error)?) -> Void
    ) { shimOnly() }
    open func requestAuthorization(options: UNAuthorizationOptions = []) async throws -> Bool { shimOnly() }
    open func setNotificationCategories(_ categories: Set<UNNotificationCategory>) { shimOnly() }
    open func getDeliveredNotifications(completionHandler: @escaping @Sendable ([UNNotification]) -> Void) { shimOnly() }
    open func deliveredNotifications() async -> [UNNotification] { shimOnly() }
    open func removeDeliveredNotifications(withIdentifiers identifiers: [String]) { shimOnly() }
}

/// Objective-C optional requirements: implemented or not, both compile (as on Apple platforms).
public protocol UNUserNotificationCenterDelegate: NSObjectProtocol {
    func userNotificationCenter(
        _ center: UNUserNotificationCenter, willPresent notification: UNNotification,
        withCompletionHandler completionHandler: @escaping @Sendable (UNNotificationPresentationOptions) -> Void)
    func userNotificationCenter(
        _ center: UNUserNotificationCenter, willPresent notification: UNNotification
    ) async -> UNNotificationPresentationOptions
    func userNotificationCenter(
        _ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse,
        withCompletionHandler completionHandler: @escaping @Sendable () -> Void)
    func userNotificationCenter(_ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse) async
}

extension UNUserNotificationCenterDelegate {
    public func userNotificationCenter(
        _ center: UNUserNotificationCenter, willPresent notification: UNNotification,
        withCompletionHandler completionHandler: @escaping @Sendable (UNNotificationPresentationOptions) -> Void
    ) { shimOnly() }
    public func userNotificationCenter(
        _ center: UNUserNotificationCenter, willPresent notification: UNNotification
    ) async -> UNNotificationPresentationOptions { shimOnly() }
    public func userNotificationCenter(
        _ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse,
        withCompletionHandler completionHandler: @escaping @Sendable () -> Void
    ) { shimOnly() }
    public func userNotificationCenter(
        _ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse
    ) async { shimOnly() }
}

open class UNNotificationServiceExtension: NSObject {
    open func didReceive(
        _ request: UNNotificationRequest, withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void
    ) { shimOnly() }
    open func serviceExtensionTimeWillExpire() { shimOnly() }
}
