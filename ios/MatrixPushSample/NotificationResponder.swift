import MatrixPushNotifications
import SampleKit
import UIKit
import UserNotifications

/// The notification center's delegate: notifications while the app is open, taps, and the
/// buttons of each category — "Mark as Read" on messages, "Accept" and "Decline" on invites —
/// which run in the background (iOS may have launched the app just for them), within a
/// background task so that the request can finish, and then take the room's notifications away.
/// Stateless, so one instance serves iOS's calls from any thread.
final class NotificationResponder: NSObject, UNUserNotificationCenterDelegate, @unchecked Sendable {
    static let shared = NotificationResponder()

    /// The categories of the notifications the extension makes, with their buttons (SampleKit's
    /// `NotificationAction`). Its quiet notices need none.
    static var categories: Set<UNNotificationCategory> {
        Set(NotificationCategory.allCases.map { category in
            UNNotificationCategory(
                identifier: category.rawValue,
                actions: NotificationAction.actions(for: category).map(unAction),
                intentIdentifiers: [], options: [])
        })
    }

    private static func unAction(_ action: NotificationAction) -> UNNotificationAction {
        var options: UNNotificationActionOptions = []
        if action.requiresUnlock { options.insert(.authenticationRequired) }
        if action.isDestructive { options.insert(.destructive) }
        return UNNotificationAction(
            identifier: action.id.rawValue, title: action.title, options: options,
            icon: UNNotificationActionIcon(systemImageName: action.systemImage))
    }

    /// In the foreground too: the extension has already made the notification.
    func userNotificationCenter(
        _ center: UNUserNotificationCenter, willPresent notification: UNNotification
    ) async -> UNNotificationPresentationOptions {
        [.banner, .list, .sound, .badge]
    }

    /// A tap opens the notification's room (here: shows its id); a button does its request.
    func userNotificationCenter(_ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse) async {
        let userInfo = response.notification.request.content.userInfo
        if response.actionIdentifier == UNNotificationDefaultActionIdentifier {
            let roomId = userInfo[NotificationContent.UserInfoKey.roomId] as? String
            await MainActor.run { AccountModel.shared.openedRoom = roomId }
            return
        }
        guard let request = NotificationActionRequest(actionIdentifier: response.actionIdentifier, userInfo: userInfo)
        else { return }
        await perform(request)
    }

    private func perform(_ request: NotificationActionRequest) async {
        let task = await BackgroundActivity(name: "notification action")
        let done = await AccountModel.shared.perform(request)
        if done {
            // The room's notifications (all of them, as Messages does) have served.
            let read = PushResponse(content: nil, badge: nil, removeRoomIds: [request.roomId])
            await read.removeDelivered(from: UNUserNotificationCenter.current())
        }
        await task.end()
    }

    /// Removes the quiet notices the extension shows, without the filtering entitlement, for
    /// pushes with nothing to show (SampleKit's `HiddenPush`): once the app is open they have
    /// said all they had to.
    static func removeQuietNotices() async {
        let center = UNUserNotificationCenter.current()
        let quiet = await center.deliveredNotifications()
            .filter { $0.request.content.categoryIdentifier == HiddenPush.quietCategory }
            .map(\.request.identifier)
        if !quiet.isEmpty {
            center.removeDeliveredNotifications(withIdentifiers: quiet)
        }
    }
}
