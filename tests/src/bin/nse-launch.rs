//! Models an iOS Notification Service Extension launch: a fresh process restores the session
//! from the store, handles one push and reports. Used by `scripts/bench-notify`.
//!
//! Usage: nse-launch HOMESERVER_URL STORE_DIR KEYRING_SERVICE KEYRING_ACCOUNT PAYLOAD_JSON `[e2ee]`
//! (PAYLOAD_JSON: an FCM v1 data map, e.g. {"event_id": "$e", "room_id": "!r", "unread": "1"};
//! `e2ee`: with built-in encryption, its crypto store in STORE_DIR).
//! Prints one JSON line: outcome, HTTP requests, microseconds from `main` to the outcome, and
//! the process's peak RSS and anonymous (heap/stack) memory from /proc/self/status.

use matrix_push::Client;
use matrix_push::payload::{Provider, decode_json};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let started = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (args, encryption) = match args.split_last() {
        Some((last, rest)) if last == "e2ee" => (rest, true),
        _ => (args.as_slice(), false),
    };
    let [homeserver, store_dir, service, account, payload] = args else {
        eprintln!(
            "usage: nse-launch HOMESERVER_URL STORE_DIR KEYRING_SERVICE KEYRING_ACCOUNT PAYLOAD_JSON [e2ee]"
        );
        std::process::exit(2);
    };
    // One thread, as an extension would run it: the least memory.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (outcome, requests, elapsed) = runtime.block_on(async {
        let store = Arc::new(matrix_push::session::KeyringSessionStore::new(service, account));
        let client = Client::builder(homeserver.parse().unwrap())
            .store_dir(store_dir)
            .session_store(store)
            .encryption(encryption)
            .build()
            .unwrap();
        client.restore_session().unwrap().expect("a saved session");
        let payload = decode_json(Provider::Fcm, payload).unwrap();
        // To the outcome, as the mobile library answers; the store is written after it.
        let (outcome, store_write) = client
            .handle_push_deferred(&payload, Duration::from_secs(20))
            .await;
        let elapsed = started.elapsed();
        if let Some(store_write) = store_write {
            client.after_push(store_write).await;
        }
        (
            outcome,
            client.session_client().transport().requests_sent(),
            elapsed,
        )
    });
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |field: &str| -> u64 {
        status
            .lines()
            .find(|line| line.starts_with(field))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let kind = match &outcome {
        matrix_push::notify::Outcome::Show(n) => format!("show:{}", n.body),
        other => format!("{other:?}"),
    };
    println!(
        "{}",
        serde_json::json!({
            "outcome": kind,
            "requests": requests,
            "elapsed_us": elapsed.as_micros() as u64,
            "vm_hwm_kib": kib("VmHWM:"),
            "rss_anon_kib": kib("RssAnon:"),
        })
    );
}
