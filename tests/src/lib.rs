//! Shared helpers for the end-to-end suites in `tests/tests/`.

use std::path::PathBuf;

/// The shared fixtures (`../shared/fixtures` beside the repository), or `MATRIX_PUSH_FIXTURES`.
/// Panics with a clear message when they cannot be found: a suite must not pass without them.
pub fn fixtures_dir() -> PathBuf {
    let dir = match std::env::var_os("MATRIX_PUSH_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"),
    };
    assert!(
        dir.join("pushrules/conformance.jsonl").is_file(),
        "fixtures not found at {} (set MATRIX_PUSH_FIXTURES)",
        dir.display()
    );
    dir
}

/// The path of the `matrix-push` command-line binary built in this workspace's target folder.
pub fn cli_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    target.join(profile).join("matrix-push")
}
