import MatrixPushNotifications
import UIKit
import UserNotifications

/// The UIKit side: APNs registration callbacks and the notification center's delegate.
final class AppDelegate: NSObject, UIApplicationDelegate, UNUserNotificationCenterDelegate {
    func application(_ application: UIApplication,
                     didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil) -> Bool {
        let center = UNUserNotificationCenter.current()
        center.delegate = self
        center.setNotificationCategories(NotificationCategory.unCategories)
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

    /// In the foreground too: the extension has already made the notification.
    func userNotificationCenter(_ center: UNUserNotificationCenter, willPresent notification: UNNotification,
                                withCompletionHandler completionHandler: @escaping (UNNotificationPresentationOptions) -> Void) {
        completionHandler([.banner, .list, .sound, .badge])
    }

    /// A tap: the notification's room (a real app opens it).
    func userNotificationCenter(_ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse,
                                withCompletionHandler completionHandler: @escaping () -> Void) {
        let roomId = response.notification.request.content.userInfo[NotificationContent.UserInfoKey.roomId] as? String
        AccountModel.shared.openedRoom = roomId
        completionHandler()
    }
}
