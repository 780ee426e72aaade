// TYPE-CHECKING SHIM — NOT Apple's os module. Never linked, never shipped, never run.
// scripts/ios-app-check compiles it as a module named os so that the sample's logging
// (Shared/SampleLog.swift and every `SampleLog.….info("…")`) can be type-checked on Linux. It
// mirrors the names and signatures of the iOS 26 SDK's Swift interface for exactly the API that
// code uses: os.Logger and the OSLogMessage interpolations with `privacy:` (strings, values
// described by CustomStringConvertible, Int32 such as OSStatus). Bodies never run. Add a
// declaration only as the SDK spells it, and only when the app starts using it.
import Foundation

@inline(never) func shimOnly() -> Never { fatalError("type-checking shim, not os") }

public struct OSLogPrivacy: Sendable {
    public static var `public`: OSLogPrivacy { shimOnly() }
    public static var `private`: OSLogPrivacy { shimOnly() }
    public static var sensitive: OSLogPrivacy { shimOnly() }
    public static var auto: OSLogPrivacy { shimOnly() }
}

public struct OSLogStringAlignment: Sendable {
    public static var none: OSLogStringAlignment { shimOnly() }
}

public struct OSLogIntegerFormatting: Sendable {
    public static var decimal: OSLogIntegerFormatting { shimOnly() }
}

public struct OSLogIntegerAlignment: Sendable {
    public static var none: OSLogIntegerAlignment { shimOnly() }
}

public struct OSLogInterpolation: StringInterpolationProtocol {
    public init(literalCapacity: Int, interpolationCount: Int) { shimOnly() }
    public mutating func appendLiteral(_ literal: String) { shimOnly() }
    public mutating func appendInterpolation(
        _ argumentString: @autoclosure @escaping () -> String, align: OSLogStringAlignment = .none,
        privacy: OSLogPrivacy = .auto
    ) { shimOnly() }
    public mutating func appendInterpolation<T: CustomStringConvertible>(
        _ value: @autoclosure @escaping () -> T, align: OSLogStringAlignment = .none, privacy: OSLogPrivacy = .auto
    ) { shimOnly() }
    public mutating func appendInterpolation(
        _ number: @autoclosure @escaping () -> Int32, format: OSLogIntegerFormatting = .decimal,
        align: OSLogIntegerAlignment = .none, privacy: OSLogPrivacy = .auto
    ) { shimOnly() }
}

public struct OSLogMessage: ExpressibleByStringInterpolation, ExpressibleByStringLiteral {
    public init(stringInterpolation: OSLogInterpolation) { shimOnly() }
    public init(stringLiteral value: String) { shimOnly() }
}

public struct Logger: @unchecked Sendable {
    public init(subsystem: String, category: String) { shimOnly() }
    public func debug(_ message: OSLogMessage) { shimOnly() }
    public func info(_ message: OSLogMessage) { shimOnly() }
    public func notice(_ message: OSLogMessage) { shimOnly() }
    public func warning(_ message: OSLogMessage) { shimOnly() }
    public func error(_ message: OSLogMessage) { shimOnly() }
    public func fault(_ message: OSLogMessage) { shimOnly() }
}
