import Combine
import Foundation
import MatrixPush
import MatrixPushNotifications
import SampleKit
import UIKit
import UserNotifications

/// The signed-in account and everything the screens do with it. One account; the library's
/// `Client` is made once per sign-in (or per launch) and shared by all calls.
@MainActor
final class AccountModel: ObservableObject {
    static let shared = AccountModel()

    enum Phase: Equatable {
        case starting
        case signedOut
        /// What the settings screen shows of the session (SampleKit: the SwiftUI views name no
        /// binding type, see SettingsView).
        case signedIn(AccountDetails)
    }

    @Published private(set) var phase: Phase = .starting
    @Published private(set) var keywords: [String] = []
    @Published private(set) var pushStatus = "Not registered yet"
    @Published private(set) var busy = false
    /// What the last "Recover encrypted messages" did (never the key).
    @Published private(set) var recoveryStatus: String?
    @Published var message: String?
    /// The room of the notification the user tapped last.
    @Published var openedRoom: String?
    /// "Private read receipts" (the settings screen's switch): kept in the app's UserDefaults
    /// (`ReadReceiptSetting`), read by each "Mark as Read".
    @Published var privateReadReceipts = ReadReceiptSetting().privateReceipts {
        didSet { ReadReceiptSetting().privateReceipts = privateReadReceipts }
    }

    /// Set by the AppDelegate: `UIApplication.registerForRemoteNotifications()`.
    var registerForRemoteNotifications: () -> Void = {}

    private var client: Client?
    private var sync: SyncTask?
    /// Pusher changes run one after the other (an `ensure` must not re-create a pusher that a
    /// concurrent rotation just removed).
    private var pushQueue: Task<Void, Never>?
    /// The pusher's and the device's name on the homeserver: the phone's own name when iOS
    /// gives it (the user-assigned-device-name entitlement), else "matrix-push sample on
    /// iPhone 16 Pro (iOS 26.1)" (SampleKit's `DeviceName`).
    private let deviceName = DeviceName.current.displayName(appName: SampleConfig.appNameForDevices)
    private var pushSetup: PushSetup? { SampleConfig.pushSetup(deviceDisplayName: deviceName) }

    // MARK: start, sign-in, sign-out

    /// At launch: restore the saved session, if any (no request is made).
    func start() {
        SampleLog.installLibraryLogger(category: "app")
        do {
            // The saved session names its homeserver: nothing else to keep.
            if let client = try restoreClient(
                storeDir: storeDir().path, sessionStore: sessionStore(),
                deviceDisplayName: deviceName, eventDecryptor: nil, encryption: SampleConfig.encryption),
               let session = client.session() {
                signedIn(client, session)
            } else {
                phase = .signedOut
            }
        } catch {
            phase = .signedOut
            report(error)
        }
    }

    func signIn(userId: String, password: String) async {
        busy = true
        defer { busy = false }
        message = nil
        do {
            let homeserver = try await discoverHomeserver(userOrServer: userId)
            let client = try makeClient(homeserver)
            let session = try await client.loginPassword(identifier: .user(user: userId), password: password)
            try? pushSetup?.forget()   // a new account gets a new routing secret
            signedIn(client, session)
        } catch MatrixPushError.Matrix(let errcode, _, _, _, _) where errcode == "M_FORBIDDEN" {
            message = "Wrong user name or password."
        } catch {
            report(error)
        }
    }

    func signOut() async {
        busy = true
        defer { busy = false }
        sync?.cancel()
        sync = nil
        do {
            try await client?.logout()   // the server deletes the device and its pushers
        } catch {
            SampleLog.app.error("logout: \(String(describing: error), privacy: .public)")
        }
        try? pushSetup?.forget()
        client = nil
        keywords = []
        recoveryStatus = nil
        pushStatus = "Not registered yet"
        phase = .signedOut
    }

    private func makeClient(_ homeserver: String) throws -> Client {
        try Client(
            homeserverUrl: homeserver, storeDir: storeDir().path, sessionStore: sessionStore(),
            deviceDisplayName: deviceName, eventDecryptor: nil, encryption: SampleConfig.encryption)
    }

    private func storeDir() throws -> URL {
        guard let storeDir = SampleConfig.storeDir else {
            throw MatrixPushError.Storage(detail: "the app group \(SampleConfig.appGroup) is not available (App Groups capability)")
        }
        return storeDir
    }

    private func sessionStore() -> SessionStore {
        KeychainSessionStore(accessGroup: SampleConfig.keychainAccessGroup)
    }

    private func signedIn(_ client: Client, _ session: SessionInfo) {
        self.client = client
        phase = .signedIn(AccountDetails(session))
        resumeSync()
        // Every start: make sure the pusher for the saved token is there, ask for permission,
        // and ask APNs for the token (which arrives in deviceTokenReceived).
        enqueuePush { setup, client in
            if let outcome = try await setup.ensure(client: client) {
                SampleLog.app.info("pusher at start: \(String(describing: outcome), privacy: .public)")
            }
        }
        Task {
            await Self.requestNotificationPermission()
            registerForRemoteNotifications()
        }
    }

    /// Asks once (iOS remembers the answer). Off the main actor: the notification center is
    /// not Sendable, so it stays in the context that fetched it.
    private nonisolated static func requestNotificationPermission() async {
        let center = UNUserNotificationCenter.current()
        _ = try? await center.requestAuthorization(options: [.alert, .sound, .badge])
    }

    // MARK: push

    /// From `didRegisterForRemoteNotificationsWithDeviceToken`: ensure, or rotate to a new token.
    func deviceTokenReceived(_ token: Data) {
        enqueuePush { [weak self] setup, client in
            let registration = try await setup.register(deviceToken: token, client: client)
            SampleLog.app.info("pusher: \(String(describing: registration), privacy: .public)")
            self?.pushStatus = "Registered (\(APNs.pushkey(deviceToken: token).prefix(12))…)"
        }
    }

    func pushRegistrationFailed(_ error: Error) {
        pushStatus = "APNs registration failed: \(error.localizedDescription)"
    }

    private func enqueuePush(_ work: @escaping @MainActor (PushSetup, Client) async throws -> Void) {
        let previous = pushQueue
        pushQueue = Task { [weak self] in
            await previous?.value
            guard let self, let client = self.client, let setup = self.pushSetup else { return }
            do {
                try await work(setup, client)
            } catch {
                self.pushStatus = "Pusher not set: \(Self.describe(error))"
                self.report(error)
            }
        }
    }

    // MARK: rules

    /// Keeps the push rules synced into the shared store while the app is in the foreground
    /// (the extension evaluates pushes with them).
    func resumeSync() {
        guard let client, sync?.isRunning() != true else { return }
        let listener = KeywordsListener { [weak self] keywords in
            Task { @MainActor in self?.keywords = keywords }
        }
        sync = client.startPushRulesSync(pollTimeoutMs: 30_000, listener: listener)
    }

    func pauseSync() {
        sync?.cancel()
        sync = nil
    }

    func scenePhaseChanged(active: Bool) {
        if active {
            resumeSync()
            Task { await NotificationResponder.removeQuietNotices() }
        } else {
            pauseSync()
        }
    }

    // MARK: notification buttons

    /// Does what a notification's button asks; false when it could not be done (signed out, or
    /// the server refused: see the log and `message`).
    func perform(_ request: NotificationActionRequest) async -> Bool {
        guard let client else {
            SampleLog.app.error("a notification button while signed out")
            return false
        }
        do {
            switch request {
            case .markRead(let roomId, let eventId):
                // A public receipt (m.read), as Matrix clients send by default, unless the user
                // turned on "Private read receipts": m.read.private, seen only by their devices.
                // Read from UserDefaults now: a button may launch the app in the background.
                try await client.markRead(
                    roomId: roomId, eventId: eventId,
                    visibility: ReadReceiptSetting().privateReceipts ? .private : .public)
            case .acceptInvite(let roomId):
                try await client.acceptInvite(roomId: roomId)
            case .declineInvite(let roomId):
                try await client.declineInvite(roomId: roomId)
            }
            SampleLog.app.info("notification button done: \(String(describing: request), privacy: .public)")
            return true
        } catch {
            report(error)
            return false
        }
    }

    func addKeyword(_ keyword: String) async {
        let keyword = keyword.trimmingCharacters(in: .whitespaces)
        guard let client, !keyword.isEmpty else { return }
        do {
            try await client.addKeyword(keyword: keyword)
            keywords = try await client.keywords()
        } catch {
            report(error)
        }
    }

    func removeKeyword(_ keyword: String) async {
        guard let client else { return }
        do {
            try await client.removeKeyword(keyword: keyword)
            keywords = try await client.keywords()
        } catch {
            report(error)
        }
    }

    /// The room's mode as the room's screen shows it selected (a room without a rule of its own
    /// shows what the account's defaults do); nil when it could not be read.
    func roomMode(_ roomId: String) async -> RoomModeOption? {
        guard let client else { return nil }
        do {
            return RoomModeOption.selected(try await client.roomMode(roomId: roomId))
        } catch {
            report(error)
            return nil
        }
    }

    func setRoomMode(_ roomId: String, _ option: RoomModeOption) async {
        guard let client else { return }
        do {
            try await client.setRoomMode(roomId: roomId, mode: option.mode)
        } catch {
            report(error)
        }
    }

    /// Every joined room with its name and mode, sorted by name (one request; invites are left
    /// out: the settings screen takes a room id for those), as the settings screen lists them.
    func rooms() async -> [RoomRow] {
        guard let client else { return [] }
        do {
            return try await client.rooms().map(RoomRow.init)
        } catch {
            report(error)
            return []
        }
    }

    // MARK: encryption

    /// Recovers the account's encryption with the recovery key another client showed the user:
    /// this device gets cross-signed and reads missing room keys from the key backup. The key
    /// is only passed on: not logged, not kept (the library stores only what it opens).
    /// True when recovered.
    @discardableResult
    func recover(recoveryKey: String) async -> Bool {
        guard let client, RecoveryText.canSubmit(recoveryKey) else { return false }
        busy = true
        defer { busy = false }
        recoveryStatus = "Recovering…"
        do {
            let recovery = try await client.recover(recoveryKey: recoveryKey)
            recoveryStatus = RecoveryText.message(for: recovery)
            SampleLog.app.info("recovered: \(String(describing: recovery), privacy: .public)")
            return true
        } catch MatrixPushError.RecoveryKeyRejected(let detail) {
            recoveryStatus = RecoveryText.rejected(detail: detail)
        } catch {
            // Shown like every other failure; a session the server ended is handled there.
            recoveryStatus = nil
            report(error)
        }
        return false
    }

    // MARK: errors

    private func report(_ error: Error) {
        switch error {
        case MatrixPushError.SoftLoggedOut:
            // The device is kept: signing in again restores it.
            pauseSync()
            phase = .signedOut
            message = "Your session expired. Sign in again."
        case MatrixPushError.LoggedOut:
            pauseSync()
            try? pushSetup?.forget()
            client = nil
            phase = .signedOut
            message = "You were signed out."
        default:
            message = Self.describe(error)
        }
        SampleLog.app.error("\(String(describing: error), privacy: .public)")
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case MatrixPushError.Matrix(let errcode, let detail, _, _, _): return "\(errcode): \(detail)"
        case MatrixPushError.Network: return "The server cannot be reached."
        case MatrixPushError.Timeout: return "The server did not answer in time."
        case MatrixPushError.NotAMatrixServer(let detail): return "Not a Matrix server: \(detail)"
        case MatrixPushError.InvalidInput(let detail): return detail
        case MatrixPushError.RecoveryKeyRejected(let detail): return RecoveryText.rejected(detail: detail)
        default: return String(describing: error)
        }
    }
}

/// Hears every new push-rule set while the sync runs.
final class KeywordsListener: PushRulesListener, @unchecked Sendable {
    private let onChange: @Sendable ([String]) -> Void

    init(_ onChange: @escaping @Sendable ([String]) -> Void) {
        self.onChange = onChange
    }

    func onRulesChanged(keywords: [String], rulesJson: String) {
        onChange(keywords)
    }
}
