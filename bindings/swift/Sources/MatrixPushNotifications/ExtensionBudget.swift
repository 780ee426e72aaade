import Foundation
import MatrixPush

/// The time a Notification Service Extension has for one push (about 30 s from
/// `didReceive(_:withContentHandler:)`, then iOS calls `serviceExtensionTimeWillExpire` and shows
/// the push's own alert), and running `Client.handlePush` inside it:
///
/// - the library gets `handlePushDeadlineMs` = what is left before the cutoff minus
///   `libraryOverrun` (its own deadline covers the network; the store's lock and files can add a
///   little), and answers with a fallback itself when the server is too slow;
/// - should the call still not have returned at the cutoff (`limit - margin` after `start`), the
///   answer is the generic fallback made in Swift from the payload, and the call is left behind.
///
/// `margin` is what remains for building the content, removing delivered notifications and
/// calling the content handler before iOS gives up on the extension.
public struct ExtensionBudget: Sendable {
    /// Apple's figure for a service extension.
    public static let serviceExtensionLimit: Duration = .seconds(30)

    public let start: ContinuousClock.Instant
    public let limit: Duration
    public let margin: Duration
    public let libraryOverrun: Duration

    public init(
        limit: Duration = ExtensionBudget.serviceExtensionLimit, margin: Duration = .seconds(5),
        libraryOverrun: Duration = .seconds(3), start: ContinuousClock.Instant = .now
    ) {
        self.limit = limit
        self.margin = margin
        self.libraryOverrun = libraryOverrun
        self.start = start
    }

    /// When the answer must be there.
    public var cutoff: ContinuousClock.Instant { start + limit - margin }

    /// Time left before the cutoff (zero once past it).
    public var remaining: Duration { max(.zero, cutoff - .now) }

    /// The deadline to give `Client.handlePush`.
    public var handlePushDeadlineMs: UInt64 { milliseconds(max(.zero, remaining - libraryOverrun)) }

    /// Resolves a push with the client within the budget.
    public func handle(_ payload: PushPayload, with client: Client, style: NotificationStyle = NotificationStyle()) async -> PushResponse {
        await run(payload, style: style) { deadlineMs in
            try await client.handlePush(payload: payload, deadlineMs: deadlineMs)
        }
    }

    /// Runs `handle` (given the deadline in ms) within the budget: its outcome as a response, or
    /// the generic fallback for `payload` when the cutoff comes first or `handle` throws.
    public func run(
        _ payload: PushPayload?, style: NotificationStyle = NotificationStyle(),
        _ handle: @escaping @Sendable (UInt64) async throws -> Outcome
    ) async -> PushResponse {
        if let outcome = await outcome(handle) {
            return PushResponse(outcome, payload: payload, style: style)
        }
        return PushResponse.fallback(for: payload, style: style)
    }

    /// `handle`'s outcome, or nil when the cutoff came first (`handle` then runs on, unawaited) or
    /// `handle` threw.
    public func outcome(_ handle: @escaping @Sendable (UInt64) async throws -> Outcome) async -> Outcome? {
        let deadlineMs = handlePushDeadlineMs
        let wait = remaining
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome?, Never>) in
            let first = FirstAnswer(continuation)
            let timer = Task {
                try? await Task.sleep(for: wait)
                first.resume(nil)
            }
            Task {
                let outcome = try? await handle(deadlineMs)
                first.resume(outcome)
                timer.cancel()
            }
        }
    }
}

func milliseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0 else { return 0 }
    return UInt64(seconds) * 1000 + UInt64(attoseconds / 1_000_000_000_000_000)
}

/// Resumes a continuation once, with whichever answer comes first.
private final class FirstAnswer<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?

    init(_ continuation: CheckedContinuation<T, Never>) {
        self.continuation = continuation
    }

    func resume(_ value: T) {
        lock.lock()
        let continuation = self.continuation
        self.continuation = nil
        lock.unlock()
        continuation?.resume(returning: value)
    }
}
