//! Benchmark of push handling against the loopback Synapse (`scripts/bench-notify` runs it):
//! `handle` for `event_id_only` pushes on a cold and a warm store — p50/p95 latency and HTTP
//! requests per push — next to a single `GET /rooms/{id}/event/{id}` round trip measured in the
//! same run; an event far back in history; and an extension-like launch (`nse-launch`, a fresh
//! process per push) with its time to outcome, requests and memory. Prints a table.

use matrix_push::Client;
use matrix_push::http::{HttpConfig, Method, Request, Transport};
use matrix_push::notify::Outcome;
use matrix_push::payload::PushPayload;
use matrix_push::session::{KeyringSessionStore, MemorySessionStore, SessionStore};
use matrix_push_tests::{Homeserver, create_room, join, send_event, temp_dir, unique};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SAMPLES: usize = 40;
const HISTORY: usize = 300;
const LAUNCHES: usize = 15;

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    let index = ((samples.len() - 1) as f64 * p).round() as usize;
    samples[index]
}

struct Row {
    name: String,
    p50_ms: f64,
    p95_ms: f64,
    requests: f64,
    note: String,
}

async fn send(client: &Client, room: &str, body: &str) -> String {
    send_event(
        client,
        room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": body}),
    )
    .await
}

fn payload(room: &str, event_id: &str) -> PushPayload {
    PushPayload {
        event_id: Some(event_id.to_owned()),
        room_id: Some(room.to_owned()),
        unread: Some(1),
        ..PushPayload::default()
    }
}

/// A phone for Bob with its own (empty) store.
fn phone(hs: &Homeserver, bob: &Client) -> Client {
    let store: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
    store.save(&bob.session().unwrap()).unwrap();
    let phone = hs.client_with(store, &temp_dir("bench-phone"));
    phone.restore_session().unwrap();
    phone
}

async fn measure(phone: &Client, room: &str, events: &[String]) -> (Vec<f64>, f64) {
    let mut latencies = Vec::new();
    let before = phone.session_client().transport().requests_sent();
    for event in events {
        let started = Instant::now();
        let outcome = phone
            .handle_push(&payload(room, event), Duration::from_secs(10))
            .await;
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(matches!(outcome, Outcome::Show(_)), "{outcome:?}");
    }
    let requests = (phone.session_client().transport().requests_sent() - before) as f64 / events.len() as f64;
    (latencies, requests)
}

fn row(name: &str, mut samples: Vec<f64>, requests: f64, note: &str) -> Row {
    Row {
        name: name.into(),
        p50_ms: percentile(&mut samples, 0.5),
        p95_ms: percentile(&mut samples, 0.95),
        requests,
        note: note.into(),
    }
}

#[tokio::main]
async fn main() {
    let hs = Homeserver::main();
    let (bob, bob_id, _) = hs.signed_in("benchbob").await;
    let (alice, _, _) = hs.signed_in("benchalice").await;
    let (carol, carol_id, _) = hs.signed_in("benchcarol").await;
    let room = create_room(
        &alice,
        json!({"invite": [bob_id, carol_id], "name": "Bench room"}),
    )
    .await;
    for member in [&bob, &carol] {
        join(member, &room).await;
    }
    eprintln!(
        "sending {HISTORY} history messages and {} to measure…",
        SAMPLES * 3 + LAUNCHES
    );
    let mut history = Vec::new();
    for i in 0..HISTORY {
        history.push(send(&alice, &room, &format!("history {i}")).await);
    }
    let mut fresh = Vec::new();
    for i in 0..SAMPLES * 3 + LAUNCHES {
        fresh.push(send(&alice, &room, &format!("fresh {i}")).await);
    }
    let (cold_events, rest) = fresh.split_at(SAMPLES);
    let (warm_events, rest) = rest.split_at(SAMPLES);
    let (baseline_events, launch_events) = rest.split_at(SAMPLES);

    // A single GET /event round trip, raw.
    let transport = Transport::new(HttpConfig::default()).unwrap();
    let token = bob.session().unwrap().access_token;
    let mut baseline = Vec::new();
    for event in baseline_events {
        let url = bob.session_client().url_of(&["rooms", &room, "event", event]);
        let started = Instant::now();
        transport
            .send(&Request::new(Method::Get, url).bearer(Some(token.clone())))
            .await
            .unwrap();
        baseline.push(started.elapsed().as_secs_f64() * 1e3);
    }

    // Cold: an empty store for every push (no rules, no room).
    let mut cold = Vec::new();
    let mut cold_requests = 0.0;
    for event in cold_events {
        let phone = phone(&hs, &bob);
        let (latency, requests) = measure(&phone, &room, std::slice::from_ref(event)).await;
        cold.extend(latency);
        cold_requests += requests / SAMPLES as f64;
    }

    // Warm: one store, after a first push.
    let warm_phone = phone(&hs, &bob);
    warm_phone.fetch_push_rules().await.unwrap();
    measure(&warm_phone, &room, &history[HISTORY - 1..]).await;
    let (warm, warm_requests) = measure(&warm_phone, &room, warm_events).await;
    let (far_back, far_requests) = measure(&warm_phone, &room, &history[..SAMPLES]).await;

    // Extension-like launches: a fresh process per push, session from the keyring, warm store.
    let service = "io.matrixpush.bench";
    let account = unique("bench");
    let keyring = KeyringSessionStore::new(service, &account);
    keyring.save(&bob.session().unwrap()).unwrap();
    let store_dir = warm_phone.state().dir().to_owned();
    let launcher = std::env::current_exe().unwrap().with_file_name("nse-launch");
    let mut launches: Vec<Value> = Vec::new();
    let mut wall = Vec::new();
    for event in launch_events {
        let data = json!({"event_id": event, "room_id": room, "unread": "1", "prio": "high"});
        let started = Instant::now();
        let output = std::process::Command::new(&launcher)
            .args([
                hs.url.as_str(),
                store_dir.to_str().unwrap(),
                service,
                &account,
                &data.to_string(),
            ])
            .output()
            .expect("nse-launch is built next to this binary");
        wall.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        launches.push(serde_json::from_slice(&output.stdout).unwrap());
    }
    keyring.clear().unwrap();
    let field = |name: &str| -> Vec<f64> { launches.iter().map(|l| l[name].as_f64().unwrap()).collect() };
    let mut in_process: Vec<f64> = field("elapsed_us").into_iter().map(|us| us / 1e3).collect();
    let launch_requests = field("requests").iter().sum::<f64>() / LAUNCHES as f64;
    let max = |v: Vec<f64>| v.into_iter().fold(0.0, f64::max);
    let hwm_kib = max(field("vm_hwm_kib"));
    let anon_kib = max(field("rss_anon_kib"));
    assert!(
        launches
            .iter()
            .all(|l| l["outcome"].as_str().unwrap().starts_with("show:"))
    );

    let base_p50 = percentile(&mut baseline.clone(), 0.5);
    let rows = [
        row("GET /event (one round trip)", baseline, 1.0, "reference"),
        row(
            "handle, cold store",
            cold,
            cold_requests,
            "rules + room fetched in parallel",
        ),
        row("handle, warm store", warm.clone(), warm_requests, ""),
        row("handle, warm, event 300 back", far_back, far_requests, ""),
        row(
            "extension launch (in process)",
            in_process.clone(),
            launch_requests,
            "main() to outcome",
        ),
        row("extension launch (wall)", wall, launch_requests, "spawn to exit"),
    ];
    println!("\nnotify benchmark: {SAMPLES} pushes per row (event_id_only), loopback Synapse");
    println!(
        "{:<32} {:>9} {:>9} {:>10}  note",
        "case", "p50 ms", "p95 ms", "requests"
    );
    for r in &rows {
        println!(
            "{:<32} {:>9.2} {:>9.2} {:>10.2}  {}",
            r.name, r.p50_ms, r.p95_ms, r.requests, r.note
        );
    }
    let warm_p50 = percentile(&mut warm.clone(), 0.5);
    println!(
        "\nwarm p50 / GET-event p50 = {:.2} (target ≤ 1.2)",
        warm_p50 / base_p50
    );
    println!(
        "extension launch: p50 {:.1} ms in process, {:.1} requests, peak RSS {:.1} MiB (VmHWM), peak anonymous {:.2} MiB (RssAnon)",
        percentile(&mut in_process, 0.5),
        launch_requests,
        hwm_kib / 1024.0,
        anon_kib / 1024.0
    );
}
