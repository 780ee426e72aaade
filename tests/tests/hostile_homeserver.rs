//! The push path against a homeserver that misbehaves on purpose (`matrix_push_tests::hostile`):
//! for every mode, the release `matrix-push handle` — a fresh process, as a notification
//! extension is — must end within its deadline (plus process start and exit), stay under an iOS
//! extension's memory budget, fall back to a generic notification (never silence, never a crash),
//! and leave its store readable for the next push.

use matrix_push::secret::Secret;
use matrix_push::session::{FileSessionStore, Session, SessionStore};
use matrix_push_tests::cli::{Measured, run_measured};
use matrix_push_tests::hostile::{HUGE_CONTENT_LENGTH, HostileServer, Mode};
use matrix_push_tests::{release_cli_binary, temp_dir};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const DEADLINE_MS: u64 = 3000;
/// Process start and exit on top of the deadline (a loaded 2-core CI machine included).
const SLACK: Duration = Duration::from_millis(1500);
/// An iOS notification service extension is killed at about 24 MB; the whole process (runtime,
/// TLS roots, HTTP, store and all) must stay well under it.
const MAX_RSS_KIB: u64 = 16 * 1024;
const ROOM: &str = "!r:localhost";

/// A store folder whose saved session points at `homeserver`.
fn store_for(homeserver: &str) -> std::path::PathBuf {
    let dir = temp_dir("hostile");
    FileSessionStore::new(&dir)
        .save(&Session {
            homeserver: homeserver.to_owned(),
            user_id: matrix_push::ids::UserId::parse("@victim:localhost").unwrap(),
            device_id: "HOSTILEDEV".into(),
            access_token: Secret::new("syt_hostile_access_token"),
            refresh_token: Some(Secret::new("syr_hostile_refresh_token")),
            soft_logged_out: false,
        })
        .unwrap();
    dir
}

/// An FCM v1 data map for `event_id` in [`ROOM`], written to a file in `dir`.
fn payload_file(dir: &Path, event_id: &str) -> std::path::PathBuf {
    let path = dir.join(format!("payload-{}.json", event_id.trim_start_matches('$')));
    let payload = json!({"event_id": event_id, "room_id": ROOM, "unread": "1", "prio": "high"});
    std::fs::write(&path, payload.to_string()).unwrap();
    path
}

/// `matrix-push --store DIR --json handle FILE --provider fcm --deadline-ms 3000`, measured.
fn handle(store: &Path, payload: &Path) -> Measured {
    let mut command = Command::new(release_cli_binary());
    command
        .arg("--store")
        .arg(store)
        .args(["--json", "handle"])
        .arg(payload)
        .args(["--provider", "fcm", "--deadline-ms", &DEADLINE_MS.to_string()])
        .env_remove("MATRIX_PUSH_PASSWORD")
        .env("RUST_BACKTRACE", "0");
    run_measured(command, Duration::from_secs(60))
}

/// What one run must satisfy whatever the server did; the outcome is returned for the report,
/// and failures are collected (not panicked on) so that every mode is measured in one run.
fn check_run(mode: Mode, run: &Measured, what: &str, failures: &mut Vec<String>) -> String {
    let mut fail = |message: String| failures.push(format!("{mode:?} ({what}): {message}"));
    let document: Option<Value> = serde_json::from_str(run.stdout.trim()).ok();
    let outcome = document
        .as_ref()
        .and_then(|d| d["outcome"].as_str())
        .unwrap_or("<none>")
        .to_owned();
    if run.code != Some(0) {
        fail(format!(
            "exit code {:?} (signal {:?}), stderr {:?}",
            run.code, run.signal, run.stderr
        ));
    }
    if outcome != "fallback" {
        fail(format!(
            "outcome {outcome:?}, not \"fallback\": stdout {}",
            run.stdout.trim()
        ));
    }
    // The measurement cannot go below its launcher's own peak; a floor near the limit would make
    // the bound meaningless.
    if run.floor_kib == 0 || run.floor_kib > MAX_RSS_KIB / 4 {
        fail(format!("the RSS measurement's floor is {} KiB", run.floor_kib));
    }
    let limit = Duration::from_millis(DEADLINE_MS) + SLACK;
    if run.wall > limit {
        fail(format!("took {:?}, more than {limit:?}", run.wall));
    }
    if run.max_rss_kib > MAX_RSS_KIB {
        fail(format!(
            "peak RSS {} KiB, more than {MAX_RSS_KIB} KiB",
            run.max_rss_kib
        ));
    }
    for panic_text in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        if run.stderr.contains(panic_text) {
            fail(format!("a panic on stderr: {}", run.stderr));
        }
    }
    for secret in ["syt_hostile_access_token", "syr_hostile_refresh_token"] {
        if run.stdout.contains(secret) || run.stderr.contains(secret) {
            fail(format!("the output shows a token ({secret})"));
        }
    }
    eprintln!(
        "{:<36} {:<6} {:>5} ms {:>6} KiB  {outcome}{}",
        format!("{mode:?}"),
        what,
        run.wall.as_millis(),
        run.max_rss_kib,
        document
            .as_ref()
            .and_then(|d| d.pointer("/notification/reason"))
            .and_then(Value::as_str)
            .map(|reason| format!(" ({reason})"))
            .unwrap_or_default()
    );
    outcome
}

/// Every `*.json` file in the store parses.
fn check_store(mode: Mode, store: &Path, failures: &mut Vec<String>) {
    let mut files = 0;
    for entry in std::fs::read_dir(store).unwrap().flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        files += 1;
        let text = std::fs::read(&path).unwrap();
        if let Err(e) = serde_json::from_slice::<Value>(&text) {
            failures.push(format!("{mode:?}: {} does not parse: {e}", path.display()));
        }
    }
    // The session, and the handled events the duplicate check keeps.
    if files < 2 {
        failures.push(format!("{mode:?}: only {files} JSON file(s) in the store"));
    }
}

/// The most a loopback connection's socket buffers can hold: the largest receive buffer plus the
/// largest send buffer the kernel allows (`tcp_rmem`, `tcp_wmem`); 64 MiB when unknown.
fn socket_buffer_maxima() -> u64 {
    let max = |name: &str| -> Option<u64> {
        std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}"))
            .ok()?
            .split_whitespace()
            .nth(2)?
            .parse()
            .ok()
    };
    match (max("tcp_rmem"), max("tcp_wmem")) {
        (Some(read), Some(write)) => read + write,
        _ => 64 * 1024 * 1024,
    }
}

#[test]
fn every_push_is_bounded_whatever_the_homeserver_sends() {
    let binary = release_cli_binary();
    eprintln!(
        "release CLI: {} (peak RSS measured by wait4 in the peak-rss launcher)",
        binary.display()
    );
    eprintln!(
        "{:<36} {:<6} {:>8} {:>10}  outcome",
        "mode", "run", "wall", "peak RSS"
    );
    let mut failures = Vec::new();
    for mode in Mode::ALL {
        let server = HostileServer::start(mode);
        let store = store_for(&server.url());
        // The first push, then another on the same store (another event: the same one again
        // would be a duplicate).
        let mut run_walls = Vec::new();
        for n in 0..2 {
            let payload = payload_file(&store, &format!("$e{n}hostile"));
            let run = handle(&store, &payload);
            run_walls.push(run.wall);
            let what = if n == 0 { "first" } else { "again" };
            check_run(mode, &run, what, &mut failures);
            check_store(mode, &store, &mut failures);
        }
        // The runs really talked to this server: the fallbacks are not from a wrong address.
        // (The push path's critical request is the room's sync, which brings the event.)
        let requests = server.requests();
        let syncs = |r: &&String| r.contains("/sync?");
        if !requests.iter().any(|r| syncs(&r)) {
            failures.push(format!(
                "{mode:?}: the server never saw the push's sync: {requests:?}"
            ));
        }
        // A redirect loop is followed 3 times, then given up (and not retried).
        if mode == Mode::RedirectLoop {
            let sync_requests: Vec<&String> = requests.iter().filter(syncs).collect();
            if sync_requests.len() != 2 * 4 {
                failures.push(format!(
                    "{mode:?}: {} sync requests in 2 runs, not 2 × (1 + 3 redirects): {sync_requests:?}",
                    sync_requests.len()
                ));
            }
        }
        // The process stopped reading: the body it was offered is far from read.
        if matches!(mode, Mode::HugeContentLength | Mode::EndlessChunked) {
            let most = server.max_bytes_on_one_connection();
            eprintln!(
                "{mode:?}: {} requests, at most {most} body bytes written on one connection, {} in all",
                requests.len(),
                server.bytes_sent()
            );
            // A declared 4 GiB fails on the headers, at once (not at the deadline, trickling):
            // only the first trickle went out.
            if mode == Mode::HugeContentLength && run_walls.iter().any(|w| *w > Duration::from_secs(1)) {
                failures.push(format!(
                    "{mode:?}: runs took {run_walls:?}: the declared length did not fail at once"
                ));
            }
            if mode == Mode::HugeContentLength && most > 64 * 1024 {
                failures.push(format!(
                    "{mode:?}: {most} of {HUGE_CONTENT_LENGTH} declared bytes written on one \
                     connection: the client read on past the declared length"
                ));
            }
            // An endless body: the cap (1 MiB), plus at most what the loopback socket buffers
            // take in unread (the kernel's maxima). Reading on would be unbounded.
            let buffers = socket_buffer_maxima();
            if most > 1024 * 1024 + buffers {
                failures.push(format!(
                    "{mode:?}: {most} bytes written on one connection (socket buffers at most \
                     {buffers}): the client kept reading"
                ));
            }
        }
        drop(server);
        let _ = std::fs::remove_dir_all(&store);
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
