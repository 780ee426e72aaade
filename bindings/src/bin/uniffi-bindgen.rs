//! Generates Kotlin and Swift from the built library:
//! `cargo run -p matrix-push-ffi --features bindgen --bin uniffi-bindgen -- generate --library target/debug/libmatrix_push_ffi.so --language kotlin --out-dir out`
fn main() {
    uniffi::uniffi_bindgen_main()
}
