import Foundation
import MatrixPush
import os

/// The sample's own log lines (Console.app, subsystem io.matrixpush.sample).
enum SampleLog {
    static let app = os.Logger(subsystem: "io.matrixpush.sample", category: "app")
    static let nse = os.Logger(subsystem: "io.matrixpush.sample", category: "nse")

    /// Sends the library's log to os_log (once per process). The library never logs tokens or
    /// passwords, so its lines are public; message bodies are never logged either.
    static func installLibraryLogger(category: String) {
        setLogger(logger: LibraryLog(category: category), level: .info)
    }
}

/// The library's log lines, sent to os_log.
final class LibraryLog: MatrixPushLogger, @unchecked Sendable {
    private let osLog: os.Logger

    init(category: String) {
        osLog = os.Logger(subsystem: "io.matrixpush.sample", category: "library-\(category)")
    }

    func log(level: LogLevel, target: String, message: String) {
        switch level {
        case .error: osLog.error("\(target, privacy: .public): \(message, privacy: .public)")
        case .warn: osLog.warning("\(target, privacy: .public): \(message, privacy: .public)")
        case .info: osLog.info("\(target, privacy: .public): \(message, privacy: .public)")
        case .debug, .trace: osLog.debug("\(target, privacy: .public): \(message, privacy: .public)")
        }
    }
}
