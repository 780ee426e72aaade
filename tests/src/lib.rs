//! Shared helpers for the end-to-end suites in `tests/tests/`.

use std::path::{Path, PathBuf};

/// The shared fixtures: `MATRIX_PUSH_FIXTURES`, else `shared/fixtures` in the nearest folder
/// above the repository that has one (`../shared/fixtures` for a checkout beside `shared`).
/// Panics with a clear message when they cannot be found: a suite must not pass without them.
pub fn fixtures_dir() -> PathBuf {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found = match std::env::var_os("MATRIX_PUSH_FIXTURES") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => repository.canonicalize().ok().and_then(|repository| {
            repository
                .ancestors()
                .skip(1)
                .map(|folder| folder.join("shared/fixtures"))
                .find(|dir| dir.is_dir())
        }),
    };
    match found {
        Some(dir) if dir.join("pushrules/conformance.jsonl").is_file() => dir,
        _ => panic!(
            "the shared fixtures were not found above {} (set MATRIX_PUSH_FIXTURES)",
            repository.display()
        ),
    }
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
