#!/usr/bin/env bash
# Builds the Rust library for iOS as ios/Frameworks/MatrixPushFFI.xcframework (static
# libmatrix_push_ffi.a for devices and for the simulators) and regenerates the Swift bindings the
# Xcode project compiles (bindings/swift/Sources/MatrixPush/MatrixPush.swift and
# Sources/MatrixPushFFI/include), from the same sources, so that they match.
#
#   ios/build-xcframework.sh            # the `mobile` profile (what ships: small, fat LTO)
#   PROFILE=release ios/build-xcframework.sh
#   FEATURES= ios/build-xcframework.sh  # without built-in encryption (a smaller library)
#
# Built with the `e2ee` feature by default: the sample creates its clients with
# `encryption: true`.
# macOS only, with Xcode (xcodebuild, lipo) and rustup. Run it again after every change to the
# Rust code. See docs/ios.md.
set -euo pipefail

if [ "$(uname -s)" != Darwin ]; then
    echo "build-xcframework.sh: this builds the iOS library and needs macOS with Xcode; this is $(uname -s)." >&2
    echo "On Linux, scripts/bindings and scripts/swift-test build and test the Swift package instead." >&2
    exit 2
fi
for tool in xcodebuild lipo cargo rustup; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-xcframework.sh: $tool is missing" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=../scripts/lib/modulemap.sh
. scripts/lib/modulemap.sh
PROFILE=${PROFILE:-mobile}
FEATURES=${FEATURES-e2ee}
DEVICE=aarch64-apple-ios
SIMULATORS=(aarch64-apple-ios-sim x86_64-apple-ios)
OUT=ios/Frameworks/MatrixPushFFI.xcframework
LIB=libmatrix_push_ffi.a
# The C parts (ring) are compiled for the same minimum as the app.
export IPHONEOS_DEPLOYMENT_TARGET=${IPHONEOS_DEPLOYMENT_TARGET:-16.0}

rustup target add "$DEVICE" "${SIMULATORS[@]}"
for target in "$DEVICE" "${SIMULATORS[@]}"; do
    echo "== cargo build --profile $PROFILE --target $target"
    cargo build --locked -p matrix-push-ffi --lib --profile "$PROFILE" --target "$target" --features "$FEATURES"
done

# One library per platform in an XCFramework: the two simulator architectures together.
sim_dir=target/ios-simulator/$PROFILE
mkdir -p "$sim_dir"
sim_libs=()
for target in "${SIMULATORS[@]}"; do sim_libs+=("target/$target/$PROFILE/$LIB"); done
lipo -create "${sim_libs[@]}" -output "$sim_dir/$LIB"
rm -rf "$OUT"
# Libraries only, no headers: the C header and module map come from the Swift package's
# MatrixPushFFI target (Sources/MatrixPushFFI/include), which links `matrix_push_ffi` by name.
xcodebuild -create-xcframework \
    -library "target/$DEVICE/$PROFILE/$LIB" \
    -library "$sim_dir/$LIB" \
    -output "$OUT"

# The Swift bindings, generated from a host build of the same sources (uniffi reads the
# interface from the compiled library).
echo "== Swift bindings"
cargo build --locked -q -p matrix-push-ffi --lib --profile "$PROFILE" --features "$FEATURES"
host_lib="target/$PROFILE/libmatrix_push_ffi.dylib"
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
cargo run --locked -q -p matrix-push-ffi --features bindgen --bin uniffi-bindgen -- \
    generate --library "$host_lib" --language swift --out-dir "$gen" --no-format \
    --config bindings/uniffi-core.toml
install -d bindings/swift/Sources/MatrixPush bindings/swift/Sources/MatrixPushFFI/include
# Two uniffi namespaces (the FFI crate's and the core's records), one Swift module, one C module
# with both headers (as scripts/bindings does).
install -m 644 "$gen/MatrixPush.swift" "$gen/MatrixPushCore.swift" bindings/swift/Sources/MatrixPush/
install -m 644 "$gen/MatrixPushFFI.h" "$gen/MatrixPushCoreFFI.h" bindings/swift/Sources/MatrixPushFFI/include/
# (scripts/lib/modulemap.sh: portable, fails on a broken module map)
merge_modulemap "$gen/MatrixPushFFI.modulemap" bindings/swift/Sources/MatrixPushFFI/include/module.modulemap

echo "== done: $OUT"
du -sh "$OUT"/*/"$LIB" 2>/dev/null || true
