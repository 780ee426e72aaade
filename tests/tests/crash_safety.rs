//! Crash safety of the store: a notification extension can be killed at any instant (iOS does it
//! at its deadline or memory limit, Android when the app is swiped away). Against the harness
//! Synapse, `matrix-push handle` is started again and again on one store folder and SIGKILLed
//! after a random delay — anywhere within a whole push (as long as one takes on this machine), or
//! in every other run within its second half, where the store is written — mid-request,
//! mid-write, mid-lock — until 200 were killed; afterwards the store must be readable (every
//! document parses, room folders included) and the next push must resolve as if nothing had
//! happened. The loop checks that its kills straddle the store's writes: many killed runs had
//! changed the store, many had not.

use matrix_push::session::{FileSessionStore, SessionStore};
use matrix_push_tests::cli::{cli_command, run_measured};
use matrix_push_tests::{
    Homeserver, cli_binary, create_room, join, release_cli_binary, send_event, temp_dir,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// Events pushed, one after another: a push of an event already handled is a duplicate and writes
/// nothing, so the kill loop needs a new event for nearly every run.
const MESSAGES: usize = 400;
/// Processes killed in the middle of a push: the loop runs until that many were.
const KILLS: usize = 200;
/// Runs at most (some finish before their kill).
const MAX_RUNS: usize = 2000;

/// xorshift64: enough randomness for kill delays, and reproducible from its printed seed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// An FCM v1 data map for `event_id` in `room`, in a file of its own.
fn payload_file(dir: &Path, n: usize, room: &str, event_id: &str) -> PathBuf {
    let path = dir.join(format!("push-{n}.fcm"));
    let payload = json!({"event_id": event_id, "room_id": room, "unread": "1", "prio": "high"});
    std::fs::write(&path, payload.to_string()).unwrap();
    path
}

/// `matrix-push --store STORE --json handle FILE --provider fcm`, started (not waited for).
fn spawn_handle(store: &Path, payload: &Path) -> std::process::Child {
    let mut command = cli_command(&["--store"]);
    command
        .arg(store)
        .args(["--json", "handle"])
        .arg(payload)
        .args(["--provider", "fcm"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e} (build it first)", cli_binary().display()))
}

fn handle(store: &Path, payload: &Path) -> Output {
    spawn_handle(store, payload).wait_with_output().unwrap()
}

fn outcome_of(output: &Output, what: &str) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{what}: exit {:?}, stdout {stdout}, stderr {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {stdout}"))
}

/// Every file under `dir`, subfolders included.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Every `*.json` document in the store (its room folders included) parses; returns how many
/// there are.
fn assert_store_readable(store: &Path) -> usize {
    let mut documents = 0;
    for path in files_under(store) {
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            let bytes = std::fs::read(&path).unwrap();
            serde_json::from_slice::<Value>(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{} does not parse after the kills ({e}): {:?}",
                    path.display(),
                    String::from_utf8_lossy(&bytes)
                )
            });
            documents += 1;
        }
    }
    documents
}

fn names_ending(store: &Path, suffix: &str) -> Vec<String> {
    files_under(store)
        .into_iter()
        .map(|path| path.strip_prefix(store).unwrap().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(suffix))
        .collect()
}

/// What the store holds, as one number: changes whenever any file's name or content does.
fn fingerprint(store: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for path in files_under(store) {
        path.hash(&mut hasher);
        std::fs::read(&path).unwrap_or_default().hash(&mut hasher);
    }
    hasher.finish()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_survives_handle_being_killed_at_any_instant() {
    let started = Instant::now();
    let hs = Homeserver::main();
    let (bob, bob_id, _) = hs.signed_in("crashbob").await;
    let (alice, _, _) = hs.signed_in("crashalice").await;
    let room = create_room(
        &alice,
        json!({"invite": [bob_id], "is_direct": true, "preset": "trusted_private_chat"}),
    )
    .await;
    join(&bob, &room).await;

    // Bob's phone: the CLI's store folder with his session in it.
    let store = temp_dir("crash-store");
    FileSessionStore::new(&store)
        .save(&bob.session().expect("Bob is signed in"))
        .unwrap();
    let payloads_dir = temp_dir("crash-payloads");
    let mut payloads = Vec::new();
    for n in 0..MESSAGES {
        let event_id = send_event(
            &alice,
            &room,
            "m.room.message",
            json!({"msgtype": "m.text", "body": format!("message {n} before the crashes")}),
        )
        .await;
        payloads.push(payload_file(&payloads_dir, n, &room, &event_id));
    }

    let seed = std::env::var("MATRIX_PUSH_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
        | 1;
    eprintln!("kill delays from xorshift seed {seed} (MATRIX_PUSH_CRASH_SEED={seed} repeats them)");
    let mut random = XorShift(seed);
    // How long a whole push takes here (a few runs to the end): half the kills are aimed at its
    // second half, where the store is written.
    let mut whole_runs: Vec<Duration> = (0..5)
        .map(|n| {
            let run_started = Instant::now();
            outcome_of(&handle(&store, &payloads[n]), "a whole run");
            run_started.elapsed()
        })
        .collect();
    whole_runs.sort_unstable();
    let whole_run_ms = (whole_runs[2].as_millis() as u64).max(2);
    eprintln!("a whole run takes {whole_run_ms} ms (median of 5)");
    let (mut killed, mut finished) = (0, 0);
    // Killed runs that had already changed the store, and killed runs that had not: kills that
    // land on both sides of the writes, run after run, land within them too.
    let (mut killed_after_writing, mut killed_before_writing) = (0, 0);
    let mut delays = Vec::new();
    let loop_started = Instant::now();
    for n in 0..MAX_RUNS {
        if killed == KILLS {
            break;
        }
        let payload = &payloads[n % MESSAGES];
        let delay_ms = if n % 2 == 0 {
            // Anywhere from the process's start to a little past a whole push's end.
            random.next() % (whole_run_ms * 12 / 10 + 1)
        } else {
            whole_run_ms / 2 + random.next() % (whole_run_ms * 7 / 10 + 1)
        };
        let delay = Duration::from_millis(delay_ms);
        delays.push(delay.as_millis() as u64);
        let before = fingerprint(&store);
        let mut child = spawn_handle(&store, payload);
        std::thread::sleep(delay);
        // Harmless when it has exited already: it is not reaped until the wait below.
        child.kill().unwrap();
        let output = child.wait_with_output().unwrap();
        use std::os::unix::process::ExitStatusExt;
        match output.status.signal() {
            Some(9) => {
                killed += 1;
                if fingerprint(&store) == before {
                    killed_before_writing += 1;
                } else {
                    killed_after_writing += 1;
                }
            }
            _ => {
                // It finished before the kill: then it must have finished well.
                let outcome = outcome_of(&output, &format!("run {n} (not killed)"));
                assert!(
                    matches!(
                        outcome["outcome"].as_str(),
                        Some("show" | "duplicate" | "fallback")
                    ),
                    "run {n}: {outcome}"
                );
                finished += 1;
            }
        }
    }
    let loop_took = loop_started.elapsed();
    delays.sort_unstable();
    eprintln!(
        "{} runs in {loop_took:?}: {killed} killed, {finished} finished first; kill delays \
         min {} / median {} / max {} ms",
        delays.len(),
        delays[0],
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );
    assert_eq!(killed, KILLS, "{MAX_RUNS} runs were not enough for {KILLS} kills");
    eprintln!(
        "of the killed runs, {killed_after_writing} had changed the store and \
         {killed_before_writing} had not"
    );
    assert!(
        killed_after_writing >= 10 && killed_before_writing >= 10 && finished >= 5,
        "the kills did not straddle the store's writes: {killed_after_writing} killed after \
         writing, {killed_before_writing} before, {finished} finished"
    );

    // The store reads back whole.
    let documents = assert_store_readable(&store);
    let temporaries = names_ending(&store, ".tmp");
    let corrupt = names_ending(&store, ".corrupt");
    eprintln!(
        "store after the kills: {documents} JSON documents, {} stale temporary file(s) {:?}, {} set aside as corrupt {:?}",
        temporaries.len(),
        temporaries,
        corrupt.len(),
        corrupt
    );
    assert!(corrupt.is_empty(), "a document was half-written: {corrupt:?}");
    assert!(
        FileSessionStore::new(&store).load().unwrap().is_some(),
        "the session survived"
    );

    // The next push is resolved in full.
    let body = "the first message after the crashes";
    let event_id = send_event(
        &alice,
        &room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": body}),
    )
    .await;
    let fresh = payload_file(&payloads_dir, MESSAGES, &room, &event_id);
    let outcome = outcome_of(&handle(&store, &fresh), "the push after the crashes");
    assert_eq!(outcome["outcome"], json!("show"), "{outcome}");
    assert_eq!(outcome["notification"]["body"], json!(body), "{outcome}");
    assert_eq!(outcome["notification"]["event_id"], json!(event_id), "{outcome}");

    // A push handled before (killed or not): a duplicate, or shown when its record was lost with
    // a killed run — never an error.
    let again = outcome_of(&handle(&store, &payloads[0]), "an earlier push again");
    assert!(
        matches!(again["outcome"].as_str(), Some("duplicate" | "show")),
        "{again}"
    );
    assert_store_readable(&store);
    eprintln!("an earlier push again: {}", again["outcome"]);

    // What an ordinary push costs the release build: the warm store above, then a cold store
    // (a fresh folder given the session last, so that the warm store never uses a refresh token
    // the cold one has spent: sessions sharing one are one device, and the first to refresh wins).
    let cold = temp_dir("crash-cold");
    for (what, dir) in [("warm", &store), ("cold", &cold)] {
        if what == "cold" {
            let session = FileSessionStore::new(&store).load().unwrap().unwrap();
            FileSessionStore::new(&cold).save(&session).unwrap();
        }
        let body = format!("a measured {what} push");
        let event_id = send_event(
            &alice,
            &room,
            "m.room.message",
            json!({"msgtype": "m.text", "body": body}),
        )
        .await;
        let payload = payload_file(&payloads_dir, MESSAGES + 1, &room, &event_id);
        let mut command = std::process::Command::new(release_cli_binary());
        command
            .arg("--store")
            .arg(dir)
            .args(["--json", "handle"])
            .arg(&payload)
            .args(["--provider", "fcm"]);
        let run = run_measured(command, Duration::from_secs(30));
        assert_eq!(run.code, Some(0), "{what}: {run:?}");
        let outcome: Value = serde_json::from_str(run.stdout.trim()).unwrap();
        assert_eq!(outcome["notification"]["body"], json!(body), "{what}: {outcome}");
        eprintln!(
            "release handle, {what} store: {} ms, peak RSS {} KiB",
            run.wall.as_millis(),
            run.max_rss_kib
        );
        assert!(run.max_rss_kib <= 16 * 1024, "{what}: {run:?}");
    }
    let _ = std::fs::remove_dir_all(&cold);
    eprintln!("whole test {:?}", started.elapsed());
    let _ = std::fs::remove_dir_all(&payloads_dir);
    let _ = std::fs::remove_dir_all(&store);
}
