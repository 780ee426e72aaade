//! The peer in `scripts/bench-notify --peer`: matrix-rust-sdk's `NotificationClient` (0.18, the
//! newest that builds with this machine's rustc), run the way Element X runs it in an iOS
//! Notification Service Extension — the app's session restored on its SQLite store, a
//! `NotificationClient` for several processes, `get_notification(room, event)`.
//!
//! Usage:
//! - `matrix-push-peer login HOMESERVER STORE_DIR USER PASSWORD`: signs in as the app would, runs
//!   its sync for a moment (keys uploaded, the store warm), and keeps the session in
//!   `STORE_DIR/session.json`.
//! - `matrix-push-peer sync HOMESERVER STORE_DIR`: the app open once more for a moment (room keys
//!   that arrived by to-device go into the crypto store).
//! - `matrix-push-peer push HOMESERVER STORE_DIR ROOM EVENT`: an extension-like launch: one push in
//!   a fresh process. Prints one JSON line: outcome, requests, microseconds from `main` to the
//!   outcome, peak RSS and peak anonymous memory (from /proc/self/status).
//! - `matrix-push-peer serve HOMESERVER STORE_DIR`: a process that stays (an app's, a reused
//!   extension's): reads `ROOM EVENT` lines on stdin and answers each with one JSON line (outcome,
//!   requests, microseconds for `get_notification`), on one `NotificationClient`.
//!
//! Requests are counted from matrix-sdk's own "Sending request" event (one per attempt), so a
//! retry counts as the request it is.

use matrix_sdk::Client;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use matrix_sdk_ui::notification_client::{
    NotificationClient, NotificationProcessSetup, NotificationStatus, RawNotificationEvent,
};
use matrix_sdk_ui::sync_service::SyncService;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// HTTP requests matrix-sdk has sent in this process.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Counts matrix-sdk's "Sending request" events (one per attempt).
struct RequestCounter;

const SENDING_TARGET: &str = "matrix_sdk::http_client::native";

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RequestCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().fields().field("num_attempt").is_some() {
            REQUESTS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The request counter, and with `MATRIX_PUSH_PEER_LOG` (an `EnvFilter`, e.g.
/// `matrix_sdk_ui=trace`) log lines on stderr, to see why the peer did what it did.
fn install_tracing() {
    let counter =
        RequestCounter.with_filter(Targets::new().with_target(SENDING_TARGET, tracing::Level::DEBUG));
    let log = std::env::var("MATRIX_PUSH_PEER_LOG").ok().map(|filter| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(tracing_subscriber::EnvFilter::new(filter))
    });
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(counter).with(log))
        .expect("the only subscriber");
}

fn main() {
    let started = Instant::now();
    install_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    // One thread, as an extension would run it (and as `nse-launch` runs the SDK).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let strs: Vec<&str> = args.iter().map(String::as_str).collect();
    match strs.as_slice() {
        ["login", homeserver, store, user, password] => {
            runtime.block_on(login(homeserver, Path::new(store), user, password))
        }
        ["push", homeserver, store, room, event] => {
            let report = runtime.block_on(async {
                let notifications = restore(homeserver, Path::new(store)).await;
                let (outcome, _) = notify(&notifications, room, event).await;
                let elapsed = started.elapsed();
                json!({
                    "outcome": outcome,
                    "requests": REQUESTS.load(Ordering::Relaxed),
                    "elapsed_us": elapsed.as_micros() as u64,
                })
            });
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let mut report = report;
            report["vm_hwm_kib"] = json!(status_kib(&status, "VmHWM:"));
            report["rss_anon_kib"] = json!(status_kib(&status, "RssAnon:"));
            println!("{report}");
        }
        ["serve", homeserver, store] => runtime.block_on(serve(homeserver, Path::new(store))),
        ["sync", homeserver, store] => runtime.block_on(async {
            let client = client(homeserver, Path::new(store)).await;
            client
                .restore_session(session(Path::new(store)))
                .await
                .expect("restore");
            app_sync(&client).await;
            println!("{}", json!({"synced": true}));
        }),
        _ => {
            eprintln!(
                "usage: matrix-push-peer login HOMESERVER STORE_DIR USER PASSWORD\n       \
                 matrix-push-peer sync HOMESERVER STORE_DIR\n       \
                 matrix-push-peer push HOMESERVER STORE_DIR ROOM EVENT\n       \
                 matrix-push-peer serve HOMESERVER STORE_DIR"
            );
            std::process::exit(2);
        }
    }
}

fn session_file(store: &Path) -> PathBuf {
    store.join("session.json")
}

async fn client(homeserver: &str, store: &Path) -> Client {
    Client::builder()
        .homeserver_url(homeserver)
        .sqlite_store(store, None)
        .build()
        .await
        .expect("a client on the SQLite store")
}

/// Signs in, syncs once and keeps the session, as the app does before any push.
async fn login(homeserver: &str, store: &Path, user: &str, password: &str) {
    std::fs::create_dir_all(store).unwrap();
    let client = client(homeserver, store).await;
    client
        .matrix_auth()
        .login_username(user, password)
        .initial_device_display_name("matrix-rust-sdk peer")
        .await
        .expect("login");
    app_sync(&client).await;
    let session = client.matrix_auth().session().expect("a session after login");
    std::fs::write(session_file(store), serde_json::to_vec(&session).unwrap()).unwrap();
    println!(
        "{}",
        json!({"user_id": session.meta.user_id, "device_id": session.meta.device_id})
    );
}

/// The app open for a moment, as Element X syncs: matrix-sdk-ui's `SyncService` (the room list
/// and the encryption sync, sliding sync both) — keys uploaded, to-device messages taken in. A
/// `/v3/sync` here would leave its token where the extension's encryption sync reads its own.
async fn app_sync(client: &Client) {
    let sync = SyncService::builder(client.clone())
        .build()
        .await
        .expect("a sync service");
    sync.start().await;
    tokio::time::sleep(APP_OPEN).await;
    sync.stop().await;
}

/// How long the app stays open: a few sync rounds on loopback.
const APP_OPEN: Duration = Duration::from_millis(1500);

/// The session `login` kept.
fn session(store: &Path) -> MatrixSession {
    serde_json::from_slice(&std::fs::read(session_file(store)).expect("a session from login")).unwrap()
}

/// The extension's start: the stored session on the app's store, a notification client for a
/// process beside the app's.
async fn restore(homeserver: &str, store: &Path) -> NotificationClient {
    let client = client(homeserver, store).await;
    client.restore_session(session(store)).await.expect("restore");
    NotificationClient::new(client, NotificationProcessSetup::MultipleProcesses)
        .await
        .expect("a notification client")
}

/// One push: what the app would show, and the time `get_notification` took.
async fn notify(notifications: &NotificationClient, room: &str, event: &str) -> (String, Duration) {
    let room: OwnedRoomId = room.try_into().expect("a room id");
    let event: OwnedEventId = event.try_into().expect("an event id");
    let started = Instant::now();
    let status = notifications.get_notification(&room, &event).await;
    let elapsed = started.elapsed();
    let outcome = match status {
        // What it would show: the body, decrypted where it was encrypted.
        Ok(NotificationStatus::Event(item)) => match &item.raw_event {
            RawNotificationEvent::Timeline(raw) => {
                let event: serde_json::Value = serde_json::from_str(raw.json().get()).unwrap_or_default();
                match event["content"]["body"].as_str() {
                    Some(body) => format!("show:{body}"),
                    None => format!("show, without a body: {}", event["type"]),
                }
            }
            RawNotificationEvent::Invite(_) => "show:an invite".to_owned(),
        },
        Ok(other) => format!("{other:?}"),
        Err(e) => format!("error: {e}"),
    };
    (outcome, elapsed)
}

/// A process that stays: one notification client, a push per stdin line.
async fn serve(homeserver: &str, store: &Path) {
    let notifications = restore(homeserver, store).await;
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await.unwrap() {
        let Some((room, event)) = line.split_once(' ') else {
            continue;
        };
        let before = REQUESTS.load(Ordering::Relaxed);
        let (outcome, elapsed) = notify(&notifications, room, event).await;
        let report = json!({
            "outcome": outcome,
            "requests": REQUESTS.load(Ordering::Relaxed) - before,
            "elapsed_us": elapsed.as_micros() as u64,
        });
        stdout.write_all(format!("{report}\n").as_bytes()).await.unwrap();
        stdout.flush().await.unwrap();
    }
}

fn status_kib(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
