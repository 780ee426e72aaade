// TYPE-CHECKING SHIM — the part of Apple's Foundation that swift-corelibs-foundation (Linux) does
// not have. Never linked, never shipped, never run. scripts/ios-app-check imports it implicitly
// into the sample's files (`-Xfrontend -import-module FoundationOnDarwin`), as Foundation itself
// would provide it on iOS, so that Shared/SampleConfig.swift can be type-checked on Linux. It
// mirrors the names and signatures of the iOS 26 SDK's Swift interface for exactly the API that
// code uses. Bodies never run. Add a declaration only as the SDK spells it, and only when the
// app starts using it.
import Foundation

@inline(never) func shimOnly() -> Never { fatalError("type-checking shim, not Foundation") }

extension FileManager {
    /// The App Group's shared container (Darwin Foundation; nil without the group entitlement).
    public func containerURL(forSecurityApplicationGroupIdentifier groupIdentifier: String) -> URL? { shimOnly() }
}
