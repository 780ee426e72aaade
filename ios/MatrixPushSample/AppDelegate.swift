import MatrixPushNotifications
import UIKit
import UserNotifications

/// The UIKit side: launch (the notification categories and their buttons, the account) and the
/// APNs registration callbacks. Notification taps and buttons: `NotificationResponder`.
final class AppDelegate: NSObject, UIApplicationDelegate {
    func application(_ application: UIApplication,
                     didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil) -> Bool {
        // Before launch ends: iOS hands a pressed button to the delegate once the app is up,
        // also when it launched the app in the background just for that button.
        let center = UNUserNotificationCenter.current()
        center.delegate = NotificationResponder.shared
        center.setNotificationCategories(NotificationResponder.categories)
        let model = AccountModel.shared
        model.registerForRemoteNotifications = { application.registerForRemoteNotifications() }
        model.start()
        return true
    }

    /// Every launch (registerForRemoteNotifications is called on every start): the token as raw
    /// bytes. PushSetup sends its base64 as the pushkey, and rotates when it changed.
    func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data) {
        AccountModel.shared.deviceTokenReceived(deviceToken)
    }

    func application(_ application: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: Error) {
        SampleLog.app.error("APNs registration failed: \(error.localizedDescription, privacy: .public)")
        AccountModel.shared.pushRegistrationFailed(error)
    }
}
