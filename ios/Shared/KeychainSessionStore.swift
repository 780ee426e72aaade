import Foundation
import MatrixPush
import Security

/// The library's session (an opaque JSON string with the access and refresh tokens) as one
/// generic-password item in the Keychain group shared by the app and its extension.
///
/// Accessible after the first unlock: the extension runs while the phone is locked, and it may
/// refresh the token (the library serializes refreshes across processes with a lock file in the
/// shared store folder and re-reads this store first).
final class KeychainSessionStore: SessionStore, @unchecked Sendable {
    private let service: String
    private let account: String
    private let accessGroup: String
    private let lock = NSLock()

    init(accessGroup: String, service: String = "io.matrixpush.sample.session", account: String = "default") {
        self.accessGroup = accessGroup
        self.service = service
        self.account = account
    }

    private var query: [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessGroup as String: accessGroup,
        ]
    }

    func load() -> String? {
        lock.lock()
        defer { lock.unlock() }
        var search = query
        search[kSecReturnData as String] = true
        search[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        guard SecItemCopyMatching(search as CFDictionary, &item) == errSecSuccess,
              let data = item as? Data else { return nil }
        return String(data: data, encoding: .utf8)
    }

    func save(session: String) {
        lock.lock()
        defer { lock.unlock() }
        let attributes: [String: Any] = [
            kSecValueData as String: Data(session.utf8),
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        var status = SecItemUpdate(query as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            let item = query.merging(attributes) { _, new in new }
            status = SecItemAdd(item as CFDictionary, nil)
        }
        if status != errSecSuccess {
            SampleLog.app.error("saving the session in the Keychain failed: \(status, privacy: .public)")
        }
    }

    func clear() {
        lock.lock()
        defer { lock.unlock() }
        _ = SecItemDelete(query as CFDictionary)
    }
}
