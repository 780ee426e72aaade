// swift-tools-version:6.0
// MatrixPush: Swift bindings for the matrix-push library. `scripts/bindings` generates
// Sources/MatrixPush/MatrixPush.swift and Sources/MatrixPushFFI/include from the Rust library;
// the library itself (libmatrix_push_ffi) is linked by name — its folder comes from the build
// (`-Xlinker -L…`, as scripts/swift-test passes it) or, in an app, from the XCFramework.
import PackageDescription

let package = Package(
    name: "MatrixPush",
    products: [.library(name: "MatrixPush", targets: ["MatrixPush"])],
    targets: [
        .systemLibrary(name: "MatrixPushFFI", path: "Sources/MatrixPushFFI/include"),
        .target(
            name: "MatrixPush",
            dependencies: ["MatrixPushFFI"],
            linkerSettings: [.linkedLibrary("matrix_push_ffi")]
        ),
        .testTarget(name: "MatrixPushTests", dependencies: ["MatrixPush"]),
    ]
)
