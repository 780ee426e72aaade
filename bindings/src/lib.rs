//! matrix-push-ffi: the thin uniffi layer over the `matrix-push` core. Kotlin package
//! `io.matrixpush`, Swift module `MatrixPush`.
//!
//! Only the version is exported so far; later work adds the client, payload and notification
//! APIs here, as objects and foreign traits over the core's types.

uniffi::setup_scaffolding!("matrix_push");

/// The version of the matrix-push library the bindings were built from.
#[uniffi::export]
pub fn matrix_push_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_the_crate_version() {
        assert_eq!(super::matrix_push_version(), env!("CARGO_PKG_VERSION"));
    }
}
