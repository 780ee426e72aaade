import Foundation
import MatrixPush
import MatrixPushNotifications
import UserNotifications

/// The Notification Service Extension: iOS runs it for every push whose `aps` has a visible alert
/// and `mutable-content: 1` (the pusher's default_payload, see PushSetup), with ~30 s and ~24 MB.
///
/// It decodes the push, lets the library fetch the event and evaluate the rules within the
/// budget, and replaces the alert with the real notification — or with the generic fallback when
/// time runs out. All decisions are made in MatrixPushNotifications (tested on Linux); this file
/// only connects them to UserNotifications.
final class NotificationService: UNNotificationServiceExtension {
    private let lock = NSLock()
    private var contentHandler: ((UNNotificationContent) -> Void)?
    private var original: UNNotificationContent?
    private var payload: PushPayload?

    override func didReceive(_ request: UNNotificationRequest, withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void) {
        let budget = ExtensionBudget()   // the clock starts now
        if let json = try? APNs.userInfoJson(request.content.userInfo) {
            // Ids, counts and the routing key only (event_id_only): paste into `matrix-push decode`.
            SampleLog.nse.debug("userInfo: \(json, privacy: .public)")
        }
        let payload = try? APNs.decode(userInfo: request.content.userInfo)
        lock.lock()
        self.contentHandler = contentHandler
        self.original = request.content
        self.payload = payload
        lock.unlock()

        guard let payload else {
            SampleLog.nse.error("a push that is not a Matrix push")
            return deliver(.fallback(for: nil, style: SampleConfig.style))
        }
        guard let client = ExtensionClient.shared.client() else {
            SampleLog.nse.error("no signed-in account: showing the generic notification")
            return deliver(.fallback(for: payload, style: SampleConfig.style))
        }
        // A push for another pusher (an account signed out on this phone) shows nothing.
        let route = SampleConfig.pushSetup(deviceDisplayName: "")?.route(accountId: "account")
        if let route, routeAccount(payload, among: [route]) == nil {
            SampleLog.nse.info("a push for an account no longer signed in here")
            return deliver(PushResponse(content: nil, badge: nil, reason: "unknown account"))
        }

        Task {
            let response = await budget.handle(payload, with: client, style: SampleConfig.style)
            if let reason = response.reason {
                SampleLog.nse.info("nothing to show: \(reason, privacy: .public)")
            }
            await response.removeDelivered(from: UNUserNotificationCenter.current())
            self.deliver(response)
        }
    }

    /// iOS is about to give up on the extension: the generic notification, now.
    override func serviceExtensionTimeWillExpire() {
        lock.lock()
        let payload = self.payload
        lock.unlock()
        SampleLog.nse.error("out of time: showing the generic notification")
        deliver(.fallback(for: payload, style: SampleConfig.style))
    }

    /// Hands the content to iOS, once (whichever of the answer and the expiry comes first).
    private func deliver(_ response: PushResponse) {
        lock.lock()
        let handler = contentHandler
        let original = self.original
        contentHandler = nil
        lock.unlock()
        guard let handler, let original else { return }
        handler(response.unContent(replacing: original))
    }
}

/// One `Client` per extension process (iOS keeps the process for later pushes for a while), made
/// on the first push; made again only if the account changed in the app meanwhile (a new sign-in
/// has a new routing secret). No other cache: what outlives a push is in the shared store folder.
final class ExtensionClient: @unchecked Sendable {
    static let shared = ExtensionClient()

    private let lock = NSLock()
    private var current: (account: String, client: Client)?

    func client() -> Client? {
        lock.lock()
        defer { lock.unlock() }
        guard let storeDir = SampleConfig.storeDir else { return nil }
        let account = SampleConfig.pushSetup(deviceDisplayName: "")?.loadState()?.accountSecret ?? ""
        if let current, current.account == account { return current.client }
        if self.current == nil {
            SampleLog.installLibraryLogger(category: "nse")
        }
        do {
            // The homeserver comes with the saved session.
            guard let client = try restoreClient(
                storeDir: storeDir.path,
                sessionStore: KeychainSessionStore(accessGroup: SampleConfig.keychainAccessGroup),
                deviceDisplayName: nil, eventDecryptor: nil)
            else { return nil }
            current = (account, client)
            return client
        } catch {
            SampleLog.nse.error("cannot restore the session: \(String(describing: error), privacy: .public)")
            return nil
        }
    }
}
