// swift-tools-version:6.0
// SampleKit: the iOS sample's own decisions, kept free of UIKit, UserNotifications and Intents so
// that they compile and are unit tested on Linux (scripts/ios-app-check runs `swift test` here):
// the pusher's device name, the notification actions, what a communication notification says,
// what the extension shows for a push it would rather hide, the avatar's time budget, the line
// under an "Encrypted message", what recovering the account's encryption says, what the settings
// screen shows of the account and its rooms, and the "Private read receipts" choice.
// The app and its extension (ios/project.yml) link it; the Apple-framework glue stays in ios/.
import PackageDescription

let package = Package(
    name: "SampleKit",
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "SampleKit", targets: ["SampleKit"]),
    ],
    dependencies: [
        // The Swift bindings (package identity "swift", from its folder name).
        .package(path: "../../bindings/swift"),
    ],
    targets: [
        .target(
            name: "SampleKit",
            dependencies: [
                .product(name: "MatrixPush", package: "swift"),
                .product(name: "MatrixPushNotifications", package: "swift"),
            ]
        ),
        .testTarget(
            name: "SampleKitTests",
            dependencies: [
                "SampleKit",
                .product(name: "MatrixPush", package: "swift"),
                .product(name: "MatrixPushNotifications", package: "swift"),
            ]
        ),
    ]
)
