import UIKit

/// A UIKit background task: asks iOS for time to finish work started while the app may be
/// suspended at any moment (a notification button pressed with the app in the background), and
/// gives it back when done, or when iOS says the time is up.
@MainActor
final class BackgroundActivity {
    private var identifier = UIBackgroundTaskIdentifier.invalid

    init(name: String) {
        identifier = UIApplication.shared.beginBackgroundTask(withName: name) { [weak self] in
            self?.end()
        }
    }

    func end() {
        guard identifier != .invalid else { return }
        UIApplication.shared.endBackgroundTask(identifier)
        identifier = .invalid
    }
}
