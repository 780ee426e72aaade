import Foundation
import MatrixPush
import MatrixPushNotifications
import SampleKit
import UserNotifications

/// The Notification Service Extension: iOS runs it for every push whose `aps` has a visible alert
/// and `mutable-content: 1` (the pusher's default_payload, see PushSetup), with ~30 s and ~24 MB.
///
/// For each push: decode it, let the library fetch the event and evaluate the rules within the
/// budget, and replace the push's own alert with
/// - a message as a communication notification (the sender's avatar, the room's name), with the
///   "Mark as Read" button; other notifications (invites with Accept/Decline, calls) as they are;
/// - the generic notification when the push cannot be resolved in time — never silence;
/// - for a push with nothing to show (rules, duplicate, read elsewhere): an empty content, which
///   iOS drops only with the filtering entitlement — without it, a quiet notice (`HiddenPush`).
/// The decisions are made in MatrixPushNotifications and SampleKit (tested on Linux); this file
/// connects them to UserNotifications.
final class NotificationService: UNNotificationServiceExtension {
    private let lock = NSLock()
    private var contentHandler: ((UNNotificationContent) -> Void)?
    private var original: UNNotificationContent?
    private var payload: PushPayload?
    /// The best content so far (the resolved notification, before its avatar), for the expiry.
    private var best: UNNotificationContent?

    override func didReceive(_ request: UNNotificationRequest, withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void) {
        let budget = ExtensionBudget()   // the clock starts now
        if let json = try? APNs.userInfoJson(request.content.userInfo) {
            // Ids, counts and the routing key only (event_id_only): paste into `matrix-push decode`.
            SampleLog.nse.debug("userInfo: \(json, privacy: .public)")
        }
        let payload = try? APNs.decode(userInfo: request.content.userInfo)
        lock.withLock {
            self.contentHandler = contentHandler
            self.original = request.content
            self.payload = payload
        }

        guard let payload else {
            SampleLog.nse.error("a push that is not a Matrix push")
            return deliver(.fallback(for: nil, style: SampleConfig.style))
        }
        guard let account = ExtensionClient.shared.account() else {
            SampleLog.nse.error("no signed-in account: showing the generic notification")
            return deliver(.fallback(for: payload, style: SampleConfig.style))
        }
        // A push for another pusher (an account signed out on this phone) shows nothing.
        let route = SampleConfig.pushSetup(deviceDisplayName: "")?.route(accountId: "account")
        if let route, routeAccount(payload, among: [route]) == nil {
            SampleLog.nse.info("a push for an account no longer signed in here")
            return deliverHidden(.otherAccount, PushResponse(content: nil, badge: nil))
        }

        let client = account.client
        Task {
            guard let outcome = await budget.outcome({ deadlineMs in
                try await client.handlePush(payload: payload, deadlineMs: deadlineMs)
            }) else {
                SampleLog.nse.error("no answer within the budget: showing the generic notification")
                return self.deliver(.fallback(for: payload, style: SampleConfig.style))
            }
            var response = PushResponse(outcome, payload: payload, style: SampleConfig.style)
            // "Encrypted message", and under it what would make it readable.
            if case .show(let notification) = outcome, let content = response.content {
                response.content = EncryptedNotice.annotate(content, for: notification)
            }
            await response.removeDelivered(from: UNUserNotificationCenter.current())
            if let hidden = HiddenPush(outcome) {
                return self.deliverHidden(hidden, response)
            }
            guard case .show(let notification) = outcome,
                  let conversation = Conversation(notification, ownUserId: account.userId)
            else { return self.deliver(response) }
            await self.deliverMessage(response, conversation, client: client, budget: budget)
        }
    }

    /// A message: first the plain notification as the best so far, then, with the sender's
    /// avatar if it comes in time, the communication notification.
    private func deliverMessage(
        _ response: PushResponse, _ conversation: Conversation, client: Client, budget: ExtensionBudget
    ) async {
        guard let plain = content(for: response) else { return }
        lock.withLock { best = plain }
        // The sender's and the group's pictures at once, within the same budget.
        let deadlineMs = AvatarBudget.deadlineMs(leftMs: budget.handlePushDeadlineMs)
        async let avatar = Self.thumbnail(conversation.sender.avatarUrl, client: client, deadlineMs: deadlineMs)
        async let groupAvatar = Self.thumbnail(conversation.groupAvatarUrl, client: client, deadlineMs: deadlineMs)
        deliver(await CommunicationNotification.content(
            plain, for: conversation, avatar: await avatar, groupAvatar: await groupAvatar))
    }

    /// A usable thumbnail of `mxc` (from the shared cache or the server), or nil: none, or not
    /// in time (with no time left, only a cached one).
    private static func thumbnail(_ mxc: String?, client: Client, deadlineMs: UInt64) async -> Data? {
        guard let mxc,
              let thumbnail = await client.avatar(mxc: mxc, deadlineMs: deadlineMs),
              AvatarBudget.isUsable(thumbnail)
        else { return nil }
        return thumbnail.bytes
    }

    /// Nothing to show: with the filtering entitlement iOS drops the empty content; without it,
    /// the quiet notice stands in for the push's own loud alert.
    private func deliverHidden(_ hidden: HiddenPush, _ response: PushResponse) {
        var response = response
        response.content = hidden.notice(
            canFilter: SampleConfig.canFilterNotifications, payload: payloadSoFar(), badge: response.badge,
            style: SampleConfig.style)
        let shown = response.content == nil ? "dropped (filtering entitlement)" : "a quiet notice"
        SampleLog.nse.info("nothing to show (\(String(describing: hidden), privacy: .public)): \(shown, privacy: .public)")
        deliver(response)
    }

    /// iOS is about to give up on the extension: the best content so far, or the generic
    /// notification, now.
    override func serviceExtensionTimeWillExpire() {
        let best = lock.withLock { self.best }
        SampleLog.nse.error("out of time: showing \(best == nil ? "the generic notification" : "it without the avatar", privacy: .public)")
        if let best { return deliver(best) }
        deliver(.fallback(for: payloadSoFar(), style: SampleConfig.style))
    }

    private func payloadSoFar() -> PushPayload? {
        lock.withLock { payload }
    }

    /// The response as notification content for the push being handled (nil once delivered).
    private func content(for response: PushResponse) -> UNNotificationContent? {
        lock.withLock { original }.map { response.unContent(replacing: $0) }
    }

    private func deliver(_ response: PushResponse) {
        guard let content = content(for: response) else { return }
        deliver(content)
    }

    /// Hands the content to iOS, once (whichever of the answer and the expiry comes first).
    private func deliver(_ content: UNNotificationContent) {
        let handler = lock.withLock {
            defer { contentHandler = nil; original = nil }
            return contentHandler
        }
        handler?(content)
    }
}

/// One `Client` per extension process (iOS keeps the process for later pushes for a while), made
/// on the first push, with the same built-in encryption as the app (`SampleConfig.encryption`); made again only if the account changed in the app meanwhile (a new sign-in
/// has a new routing secret). No other cache: what outlives a push is in the shared store folder.
final class ExtensionClient: @unchecked Sendable {
    static let shared = ExtensionClient()

    private let lock = NSLock()
    /// The signed-in account as the extension needs it.
    struct Account {
        let client: Client
        let userId: String
    }

    private var current: (routingSecret: String, account: Account)?

    /// The signed-in account, or nil when nobody is (or the app group is missing).
    func account() -> Account? {
        lock.lock()
        defer { lock.unlock() }
        guard let storeDir = SampleConfig.storeDir else { return nil }
        let secret = SampleConfig.pushSetup(deviceDisplayName: "")?.loadState()?.accountSecret ?? ""
        if let current, current.routingSecret == secret { return current.account }
        if self.current == nil {
            SampleLog.installLibraryLogger(category: "nse")
        }
        do {
            // The homeserver comes with the saved session.
            guard let client = try restoreClient(
                storeDir: storeDir.path,
                sessionStore: KeychainSessionStore(accessGroup: SampleConfig.keychainAccessGroup),
                deviceDisplayName: nil, eventDecryptor: nil, encryption: SampleConfig.encryption),
                let session = client.session()
            else { return nil }
            let account = Account(client: client, userId: session.userId)
            current = (secret, account)
            return account
        } catch {
            SampleLog.nse.error("cannot restore the session: \(String(describing: error), privacy: .public)")
            return nil
        }
    }
}
