// TYPE-CHECKING SHIM — NOT Apple's Security framework. Never linked, never shipped, never run.
// scripts/ios-app-check compiles it as a module named Security so that the Keychain session store
// (Shared/KeychainSessionStore.swift) can be type-checked on Linux. It mirrors the names and
// signatures of the iOS 26 SDK's Swift interface for exactly the API that code uses. Linux has
// no CoreFoundation types in Swift, so the CF types these signatures take are the toll-free
// bridged Foundation classes (CFDictionary is NSDictionary, CFString is NSString) and OSStatus
// is MacTypes' Int32. Bodies never run. Add a declaration only as the SDK spells it, and only
// when the app starts using it.
import Foundation

@inline(never) func shimOnly() -> Never { fatalError("type-checking shim, not Security") }

public typealias OSStatus = Int32
public typealias CFTypeRef = AnyObject
public typealias CFDictionary = NSDictionary
public typealias CFString = NSString

public var errSecSuccess: OSStatus { shimOnly() }
public var errSecItemNotFound: OSStatus { shimOnly() }

public var kSecClass: CFString { shimOnly() }
public var kSecClassGenericPassword: CFString { shimOnly() }
public var kSecAttrService: CFString { shimOnly() }
public var kSecAttrAccount: CFString { shimOnly() }
public var kSecAttrAccessGroup: CFString { shimOnly() }
public var kSecAttrAccessible: CFString { shimOnly() }
public var kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly: CFString { shimOnly() }
public var kSecReturnData: CFString { shimOnly() }
public var kSecMatchLimit: CFString { shimOnly() }
public var kSecMatchLimitOne: CFString { shimOnly() }
public var kSecValueData: CFString { shimOnly() }

public func SecItemCopyMatching(_ query: CFDictionary, _ result: UnsafeMutablePointer<CFTypeRef?>?) -> OSStatus { shimOnly() }
public func SecItemAdd(_ attributes: CFDictionary, _ result: UnsafeMutablePointer<CFTypeRef?>?) -> OSStatus { shimOnly() }
public func SecItemUpdate(_ query: CFDictionary, _ attributesToUpdate: CFDictionary) -> OSStatus { shimOnly() }
public func SecItemDelete(_ query: CFDictionary) -> OSStatus { shimOnly() }
