// swift-tools-version:6.0
// MatrixPush: Swift bindings for the matrix-push library. `scripts/bindings` generates
// Sources/MatrixPush/MatrixPush.swift and Sources/MatrixPushFFI/include from the Rust library;
// the library itself (libmatrix_push_ffi) is linked by name — its folder comes from the build
// (`-Xlinker -L…`, as scripts/swift-test passes it) or, in an app, from the XCFramework.
//
// MatrixPushNotifications: platform-neutral helpers an iOS app and its Notification Service
// Extension build on (Outcome → notification content, the APNs pushkey, the pusher set-up, the
// extension's time budget); its UserNotifications glue compiles only where that framework exists.
import PackageDescription

let package = Package(
    name: "MatrixPush",
    // Apple platforms only (Linux ignores this): async/await, Duration and interruption levels.
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "MatrixPush", targets: ["MatrixPush"]),
        .library(name: "MatrixPushNotifications", targets: ["MatrixPushNotifications"]),
    ],
    targets: [
        .systemLibrary(name: "MatrixPushFFI", path: "Sources/MatrixPushFFI/include"),
        .target(
            name: "MatrixPush",
            dependencies: ["MatrixPushFFI"],
            // The generated code is written for Swift 5 mode: in Swift 6 mode, Swift 6.0's
            // region-isolation pass crashes on its glue for async foreign traits (the decryptor,
            // the token provider). Apps in Swift 6 mode use it as they use any Swift 5 module.
            swiftSettings: [.swiftLanguageMode(.v5)],
            linkerSettings: [.linkedLibrary("matrix_push_ffi")]
        ),
        .target(name: "MatrixPushNotifications", dependencies: ["MatrixPush"]),
        // The test homeserver helpers both test targets share.
        .target(name: "MatrixPushTestSupport", dependencies: ["MatrixPush"], path: "Tests/MatrixPushTestSupport"),
        .testTarget(name: "MatrixPushTests", dependencies: ["MatrixPush", "MatrixPushTestSupport"]),
        .testTarget(
            name: "MatrixPushNotificationsTests",
            dependencies: ["MatrixPushNotifications", "MatrixPush", "MatrixPushTestSupport"]
        ),
    ]
)
