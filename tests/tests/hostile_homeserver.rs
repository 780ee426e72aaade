//! The push path against a homeserver that misbehaves on purpose (`matrix_push_tests::hostile`):
//! for every mode, the release `matrix-push handle` — a fresh process, as a notification
//! extension is — must end within its deadline (plus process start and exit), stay under an iOS
//! extension's memory budget, fall back to a generic notification (never silence, never a crash),
//! and leave its store readable for the next push. A standalone hostile server meets a phone with
//! a cold store; the hostile proxy (`hostile::proxy`) in front of the real Synapse meets a phone
//! with a warm one, on each request of the push path (the warm sliding sync, `/sync` where
//! sliding sync is missing, `/context` for an old event), and gives every field of a real answer
//! a wrong type, one at a time.

use matrix_push::Client;
use matrix_push::notify::Outcome;
use matrix_push::payload::{Provider, decode};
use matrix_push::secret::Secret;
use matrix_push::session::MemorySessionStore;
use matrix_push::session::{FileSessionStore, Session, SessionStore};
use matrix_push_tests::cli::{Measured, run_measured};
use matrix_push_tests::hostile::proxy::{Endpoint, HostileProxy, Misbehaviour, pointers};
use matrix_push_tests::hostile::{HUGE_CONTENT_LENGTH, HostileServer, Mode};
use matrix_push_tests::{Homeserver, create_room, join, log_in, release_cli_binary, send_event, temp_dir};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
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
    payload_file_in(dir, ROOM, event_id)
}

/// An FCM v1 data map for `event_id` in `room`, written to a file in `dir`.
fn payload_file_in(dir: &Path, room: &str, event_id: &str) -> std::path::PathBuf {
    let name: String = event_id.chars().filter(char::is_ascii_alphanumeric).collect();
    let path = dir.join(format!("payload-{name}.json"));
    let payload = fcm_data(room, event_id);
    std::fs::write(&path, payload.to_string()).unwrap();
    path
}

/// The FCM v1 data map Sygnal hands the phone for `event_id` in `room` (event_id_only).
fn fcm_data(room: &str, event_id: &str) -> Value {
    json!({"event_id": event_id, "room_id": room, "unread": "1", "prio": "high"})
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
fn check_run(mode: &str, run: &Measured, what: &str, failures: &mut Vec<String>) -> String {
    let mut fail = |message: String| failures.push(format!("{mode} ({what}): {message}"));
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
        mode,
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

/// Fails with every collected failure, if there is any.
fn assert_none(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
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
            check_run(&format!("{mode:?}"), &run, what, &mut failures);
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
    assert_none(&failures);
}

/// The hostile modes, with the proxy's wrong types (on the real answer) in place of the standalone
/// server's canned ones.
fn proxy_misbehaviours() -> Vec<Misbehaviour> {
    Mode::ALL
        .into_iter()
        .filter(|mode| !matches!(mode, Mode::WrongTypes { .. }))
        .map(Misbehaviour::Hostile)
        .chain([Misbehaviour::WrongTypes])
        .collect()
}

/// The requests of the push path that misbehave, each with the homeserver that makes the push
/// path send it (and a name for the users): the sliding sync, `/sync` (on the instance without
/// sliding sync), `/context` (for a pushed event buried under newer ones, see
/// [`ProxiedPhone::pushed_message`]).
fn push_path_requests() -> [(Homeserver, &'static str, Endpoint); 3] {
    [
        (Homeserver::main(), "slid", Endpoint::SlidingSync),
        (Homeserver::legacy(), "sync", Endpoint::Sync),
        (Homeserver::main(), "ctx", Endpoint::Context),
    ]
}

/// A phone (Bob) whose homeserver is a hostile proxy in front of `hs`, and Alice, who writes to
/// him in a room of theirs.
struct ProxiedPhone {
    proxy: HostileProxy,
    alice: Client,
    room: String,
    /// The phone's store folder (a file session store, as `matrix-push --store` reads).
    store: std::path::PathBuf,
    /// Bob's session, for in-process clients with a store of their own.
    session: Session,
}

impl ProxiedPhone {
    async fn new(hs: &Homeserver, name: &str) -> ProxiedPhone {
        let proxy = HostileProxy::start(&hs.url);
        let (alice, _, _) = hs.signed_in(&format!("{name}alice")).await;
        let (bob_id, bob_password) = hs.register(&format!("{name}bob"), false).await;
        let store = temp_dir(&format!("{name}phone"));
        let sessions = Arc::new(FileSessionStore::new(&store));
        let bob = Client::builder(proxy.url())
            .store_dir(&store)
            .session_store(sessions)
            .build()
            .unwrap();
        log_in(&bob, &bob_id, &bob_password).await;
        let room = create_room(
            &alice,
            json!({"invite": [bob_id], "preset": "private_chat", "name": format!("{name} room")}),
        )
        .await;
        join(&bob, &room).await;
        let session = bob.session().unwrap();
        ProxiedPhone {
            proxy,
            alice,
            room,
            store,
            session,
        }
    }

    /// Alice writes `body`; the event id.
    async fn message(&self, body: &str) -> String {
        send_event(
            &self.alice,
            &self.room,
            "m.room.message",
            json!({"msgtype": "m.text", "body": body}),
        )
        .await
    }

    /// Alice writes "a pushed message"; the event id. For [`Endpoint::Context`] she writes more
    /// after it, so that the pushed one is no longer among the room's latest (10) and the push
    /// asks for it by `/context`.
    async fn pushed_message(&self, endpoint: Endpoint) -> String {
        let pushed = self.message("a pushed message").await;
        if endpoint == Endpoint::Context {
            for n in 0..12 {
                self.message(&format!("later {n}")).await;
            }
        }
        pushed
    }

    /// A client of the phone's session in this process, on a fresh store (a cold push asks for
    /// the whole room).
    fn client_on_a_fresh_store(&self) -> Client {
        let sessions = Arc::new(MemorySessionStore::default());
        sessions.save(&self.session).unwrap();
        let client = Client::builder(self.proxy.url())
            .store_dir(temp_dir("proxiedclient"))
            .session_store(sessions)
            .build()
            .unwrap();
        client.restore_session().unwrap();
        client
    }

    /// `matrix-push handle` of the push for `event_id`, a fresh process on `store`.
    fn handle(&self, store: &Path, event_id: &str) -> Measured {
        handle(store, &payload_file_in(store, &self.room, event_id))
    }

    /// A copy of the phone's store folder (the warm state every run starts from).
    fn copy_of_store(&self, name: &str) -> std::path::PathBuf {
        let copy = temp_dir(name);
        copy_dir(&self.store, &copy);
        copy
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// What a `matrix-push --json handle` run showed: its outcome and the notification's body.
fn shown(run: &Measured) -> (String, String) {
    let document: Value = serde_json::from_str(run.stdout.trim()).unwrap_or(Value::Null);
    (
        document["outcome"].as_str().unwrap_or("<none>").to_owned(),
        document
            .pointer("/notification/body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    )
}

/// A warm phone (its first push in the room handled through the proxy) meets every hostile mode on
/// each request of the push path that the room's state makes: the warm sliding sync, `/sync` on a
/// server without sliding sync, `/context` for an event older than the room's latest. Each run
/// must end as a `Fallback` within the deadline and the memory budget, and the next push — a new
/// process on the same store, the proxy passing everything through again — must show its message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_push_is_bounded_on_every_request_whatever_the_homeserver_sends() {
    let mut failures = Vec::new();
    for (hs, name, endpoint) in push_path_requests() {
        let phone = ProxiedPhone::new(&hs, &format!("hostilewarm{name}")).await;
        let first = phone.message("the first message").await;
        let run = phone.handle(&phone.store, &first);
        assert_eq!(
            shown(&run),
            ("show".into(), "the first message".into()),
            "{endpoint:?}: {run:?}"
        );
        for how in proxy_misbehaviours() {
            let store = phone.copy_of_store("hostilewarmrun");
            let pushed = phone.pushed_message(endpoint).await;
            phone.proxy.misbehave(endpoint, how.clone());
            let run = phone.handle(&store, &pushed);
            let label = format!("{endpoint:?} {how:?}");
            check_run(&label, &run, "warm", &mut failures);
            if phone.proxy.misbehaved() == 0 {
                failures.push(format!(
                    "{label}: the push never made the request that misbehaves"
                ));
            }
            phone.proxy.pass_through();
            let next = phone.message("the next message").await;
            let run = phone.handle(&store, &next);
            if shown(&run) != ("show".into(), "the next message".into()) {
                failures.push(format!("{label}: the next push on the same store: {run:?}"));
            }
            let _ = std::fs::remove_dir_all(&store);
        }
    }
    assert_none(&failures);
}

/// Every field of a real answer of each request the push path makes, given a wrong type one at a
/// time (by the hostile proxy, on Synapse's own answer): the push ends as a notification — shown,
/// or the generic fallback — within its deadline, never as silence and never as a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_type_in_any_field_never_silences_a_push() {
    const DEADLINE: Duration = Duration::from_millis(DEADLINE_MS);
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for (hs, name, endpoint) in push_path_requests() {
        let phone = ProxiedPhone::new(&hs, &format!("wrongfield{name}")).await;
        let pushed = phone.pushed_message(endpoint).await;
        let payload = decode(Provider::Fcm, &fcm_data(&phone.room, &pushed)).unwrap();
        let outcome = phone
            .client_on_a_fresh_store()
            .handle_push(&payload, DEADLINE)
            .await;
        assert!(
            matches!(&outcome, Outcome::Show(n) if n.body == "a pushed message"),
            "{endpoint:?}, passed through: {outcome:?}"
        );
        let real = phone
            .proxy
            .last_real(endpoint)
            .expect("the push made the request");
        let fields = pointers(&real);
        let (mut shown, mut fell_back) = (0, 0);
        for pointer in &fields {
            phone
                .proxy
                .misbehave(endpoint, Misbehaviour::WrongTypeAt(pointer.clone()));
            let started = std::time::Instant::now();
            let outcome = phone
                .client_on_a_fresh_store()
                .handle_push(&payload, DEADLINE)
                .await;
            let took = started.elapsed();
            match &outcome {
                Outcome::Show(_) => shown += 1,
                Outcome::Fallback(_) => fell_back += 1,
                silent => failures.push(format!("{endpoint:?} {pointer}: {silent:?}")),
            }
            if took > DEADLINE + Duration::from_millis(500) {
                failures.push(format!("{endpoint:?} {pointer}: took {took:?}"));
            }
            if phone.proxy.misbehaved() == 0 {
                failures.push(format!("{endpoint:?} {pointer}: the request was not made"));
            }
        }
        phone.proxy.pass_through();
        report.push(format!(
            "{endpoint:?}: {} fields made wrong one at a time: {shown} shown, {fell_back} fell back",
            fields.len()
        ));
    }
    eprintln!("{}", report.join("\n"));
    assert_none(&failures);
}

/// An avatar's thumbnail is read against its own cap (256 KiB) like every answer: a server that
/// declares or streams more fails the avatar at once — the notification goes out without a face,
/// neither late nor after reading on — and a well-behaved answer afterwards is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_avatar_larger_than_a_thumbnail_fails_at_once() {
    let hs = Homeserver::main();
    let phone = ProxiedPhone::new(&hs, "hostileface").await;
    let mxc = matrix_push_tests::upload_media(
        &hs,
        &phone.alice.session().unwrap().access_token,
        "image/png",
        matrix_push_tests::tiny_png(),
    )
    .await;
    let bob = phone.client_on_a_fresh_store();
    for mode in [Mode::HugeContentLength, Mode::EndlessChunked] {
        phone
            .proxy
            .misbehave(Endpoint::Thumbnail, Misbehaviour::Hostile(mode));
        let started = std::time::Instant::now();
        let avatar = bob.avatar(&mxc, Duration::from_secs(5)).await;
        assert!(
            matches!(avatar, Err(matrix_push::media::MediaError::Session(_))),
            "{mode:?}: {avatar:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{mode:?}: {:?}",
            started.elapsed()
        );
        assert_eq!(phone.proxy.misbehaved(), 1, "{mode:?}: one request, not retried");
    }
    phone.proxy.pass_through();
    let avatar = bob.avatar(&mxc, Duration::from_secs(5)).await.unwrap();
    assert!(avatar.bytes.starts_with(&[0x89, b'P', b'N', b'G']) || avatar.bytes.starts_with(&[0xff, 0xd8]));
}
