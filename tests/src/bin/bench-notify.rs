//! Benchmark of push handling against the loopback Synapse (`scripts/bench-notify` runs it):
//! `handle` for `event_id_only` pushes on a cold and a warm store — p50/p95 latency, HTTP
//! requests and bytes received per push — next to a single `GET /rooms/{id}/event/{id}` round
//! trip sampled in turn with the warm pushes (the floor: no SDK can show a message without
//! fetching it), the warm push's incremental sync sent raw (the floor of a fresh decision on this
//! server, sliding sync) and the filtered `/sync` a server without it gets, raw and handled;
//! warm after a state change (the room renamed before each message; the raw sliding sync after
//! a rename sampled in turn); warm in a room of 52
//! members (lazy members, with its own floor sampled in turn); an event far back in
//! history; and an extension-like launch (`nse-launch`, a fresh process per push) with its time to
//! outcome, requests and memory; and the same for encrypted rooms with built-in crypto (a real
//! crypto sender; the key in the store, or arriving by to-device in the push). With
//! `MATRIX_PUSH_PEER` (`scripts/bench-notify --peer`), matrix-rust-sdk's `NotificationClient`
//! (`tests/peer`) on the same rooms and messages: warm with its own floor in turn, and
//! extension-like launches, in the plain room and in the encrypted DM (key in its store, or a
//! new key by to-device). Freshness is always on: every push syncs the room and the rules.
//! Each message is sent just before it is handled, as pushes arrive; times are to the outcome
//! (the store is written after it, as the mobile library does). Prints a table.

use matrix_push::Client;
use matrix_push::http::{HttpConfig, Method, Request, Transport};
use matrix_push::notify::{ALL_MEMBERS_UP_TO, Members, Outcome};
use matrix_push::payload::PushPayload;
use matrix_push::session::{KeyringSessionStore, SessionStore};
use matrix_push_tests::e2ee::{CryptoDevice, create_encrypted_dm};
use matrix_push_tests::{Homeserver, create_room, join, send_event, unique};
use matrix_sdk_crypto::CollectStrategy;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SAMPLES: usize = 40;
/// Pushes of the rows compared with a floor sampled in turn (warm, a room of 52 members,
/// encrypted warm): Synapse's own time wanders between neighbouring requests, often in two bands,
/// and a p50 of 40 falls in either from run to run; these are cheap (a message and a request).
const PAIRED_SAMPLES: usize = 120;
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
    /// Body bytes received per push (`None`: not measured in process).
    bytes: Option<f64>,
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
        provider: Some(matrix_push::payload::Provider::Fcm), // as a push delivers it
        event_id: Some(event_id.to_owned()),
        room_id: Some(room.to_owned()),
        unread: Some(1),
        ..PushPayload::default()
    }
}

/// A phone for Bob: a device of its own (its own tokens) with an empty store.
async fn phone(hs: &Homeserver, bob_id: &str, password: &str) -> Client {
    hs.another_device(bob_id, password).await
}

/// What handling a series of pushes cost: latencies (ms), requests and bytes per push.
#[derive(Default)]
struct Measured {
    latencies: Vec<f64>,
    requests: f64,
    bytes: f64,
}

impl Measured {
    /// Takes in the pushes of `other` (requests and bytes stay per push).
    fn add(&mut self, other: Measured) {
        let (n, m) = (self.latencies.len() as f64, other.latencies.len() as f64);
        self.requests = (self.requests * n + other.requests * m) / (n + m);
        self.bytes = (self.bytes * n + other.bytes * m) / (n + m);
        self.latencies.extend(other.latencies);
    }
}

/// Sends `request` raw with `client`'s access token; its answer and round trip in ms. Tokens
/// live 15 s on the test server: an expired one is refreshed (by a request through the client)
/// and the request timed again.
async fn timed_raw(transport: &Transport, client: &Client, request: Request) -> (Value, f64) {
    loop {
        let token = client.session().unwrap().access_token;
        let started = Instant::now();
        match transport.send(&request.clone().bearer(Some(token))).await {
            Ok(answer) => return (answer, started.elapsed().as_secs_f64() * 1e3),
            Err(e) if e.matrix().is_some_and(|e| e.errcode == "M_UNKNOWN_TOKEN") => {
                client.whoami().await.unwrap();
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// The requests of a warm push, sent raw from another device (its own positions) in turn with
/// the pushes: the sliding sync the SDK sends (`notify::sliding_sync_request`; every member's
/// changes, as for any room of at most `ALL_MEMBERS_UP_TO` members) and the filtered
/// `/sync` it sends where a server has no sliding sync; each from its last position.
struct RawFloors {
    room: String,
    pos: String,
    filter_id: String,
    since: String,
}

impl RawFloors {
    async fn start(transport: &Transport, phone: &Client, room: &str) -> RawFloors {
        let session = phone.session_client();
        let request = matrix_push::notify::sliding_sync_request(session, room, None, Members::All, None);
        let (answer, _) = timed_raw(transport, phone, request).await;
        let pos = answer["pos"]
            .as_str()
            .expect("the server speaks MSC4186")
            .to_owned();
        let url = session.url_of(&["user", &session.user_id().unwrap(), "filter"]);
        let filter = matrix_push::notify::push_sync_filter(room);
        let (answer, _) = timed_raw(
            transport,
            phone,
            Request::new(Method::Post, url).json(filter.clone()),
        )
        .await;
        let filter_id = answer["filter_id"].as_str().unwrap().to_owned();
        let url = matrix_push::notify::sync_url(session, filter, None);
        let (answer, _) = timed_raw(transport, phone, Request::new(Method::Get, url)).await;
        let since = answer["next_batch"].as_str().unwrap().to_owned();
        RawFloors {
            room: room.to_owned(),
            pos,
            filter_id,
            since,
        }
    }

    /// One sliding sync from the last position; its time in ms.
    async fn sliding(&mut self, transport: &Transport, phone: &Client) -> f64 {
        let request = matrix_push::notify::sliding_sync_request(
            phone.session_client(),
            &self.room,
            Some(&self.pos),
            Members::All,
            None,
        );
        let (answer, elapsed) = timed_raw(transport, phone, request).await;
        self.pos = answer["pos"].as_str().unwrap().to_owned();
        elapsed
    }

    /// One `/sync` by filter id from the last position (a timeout of a few ms keeps Synapse's
    /// cache out, as the SDK does); its time in ms.
    async fn sync(&mut self, transport: &Transport, phone: &Client, i: usize) -> f64 {
        let mut url = phone.session_client().sync_url();
        url.query_pairs_mut()
            .append_pair("filter", &self.filter_id)
            .append_pair("since", &self.since)
            .append_pair("timeout", &(1 + i % 8).to_string());
        let (answer, elapsed) = timed_raw(transport, phone, Request::new(Method::Get, url)).await;
        self.since = answer["next_batch"].as_str().unwrap().to_owned();
        elapsed
    }
}

/// A phone for Bob that syncs pushes by `/sync` (sliding sync off), as on a server without it.
async fn classic_phone(hs: &Homeserver, bob_id: &str, password: &str) -> Client {
    let client = Client::builder(hs.url.clone())
        .store_dir(matrix_push_tests::temp_dir("bench-classic"))
        .sliding_sync(false)
        .build()
        .unwrap();
    matrix_push_tests::log_in(&client, bob_id, password).await;
    client
}

/// Handles a push for each event of `events`, which `before` produces just before it is handled
/// (sent unmeasured, as a push arrives right after the message).
async fn measure<F, Fut>(phone: &Client, room: &str, count: usize, mut before: F) -> Measured
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = String>,
{
    let transport = phone.session_client().transport();
    let (mut requests, mut bytes) = (0, 0);
    let mut latencies = Vec::new();
    for i in 0..count {
        let event = before(i).await;
        let (requests_before, bytes_before) = (transport.requests_sent(), transport.bytes_received());
        // To the outcome, as the mobile library answers: the store is written after it.
        let started = Instant::now();
        let (outcome, store_write) = phone
            .handle_push_deferred(&payload(room, &event), Duration::from_secs(10))
            .await;
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        if let Some(store_write) = store_write {
            phone.after_push(store_write).await;
        }
        requests += transport.requests_sent() - requests_before;
        bytes += transport.bytes_received() - bytes_before;
        // Shown, and with its text: an encrypted row times decryptions, never fallbacks.
        assert!(
            matches!(&outcome, Outcome::Show(n) if n.undecryptable.is_none()),
            "{outcome:?}"
        );
    }
    Measured {
        latencies,
        requests: requests as f64 / count as f64,
        bytes: bytes as f64 / count as f64,
    }
}

fn row(name: &str, mut samples: Vec<f64>, requests: f64, bytes: Option<f64>, note: &str) -> Row {
    Row {
        name: name.into(),
        p50_ms: percentile(&mut samples, 0.5),
        p95_ms: percentile(&mut samples, 0.95),
        requests,
        bytes,
        note: note.into(),
    }
}

fn measured_row(name: &str, measured: Measured, note: &str) -> Row {
    row(
        name,
        measured.latencies,
        measured.requests,
        Some(measured.bytes),
        note,
    )
}

#[tokio::main]
async fn main() {
    let hs = Homeserver::main();
    let (bob, bob_id, bob_password) = hs.signed_in("benchbob").await;
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
    eprintln!("sending {HISTORY} history messages…");
    let mut history = Vec::new();
    for i in 0..HISTORY {
        history.push(send(&alice, &room, &format!("history {i}")).await);
    }
    let message = |i: usize| {
        let (alice, room) = (&alice, &room);
        async move { send(alice, room, &format!("fresh {i}")).await }
    };

    // The floor, a single GET /event round trip, raw, for a message just sent. It is sampled in
    // turn with the warm pushes below.
    let transport = Transport::new(HttpConfig::default()).unwrap();
    let event_round_trip = |room: &str, event: String| {
        let (transport, bob, url) = (
            &transport,
            &bob,
            bob.session_client().url_of(&["rooms", room, "event", &event]),
        );
        async move { timed_raw(transport, bob, Request::new(Method::Get, url)).await.1 }
    };

    // Cold: a new phone (empty store: no rules, no room) for every push.
    let (mut cold, mut cold_requests, mut cold_bytes) = (Vec::new(), 0.0, 0.0);
    for i in 0..SAMPLES {
        let phone = phone(&hs, &bob_id, &bob_password).await;
        let measured = measure(&phone, &room, 1, |_| message(i)).await;
        cold.extend(measured.latencies);
        cold_requests += measured.requests / SAMPLES as f64;
        cold_bytes += measured.bytes / SAMPLES as f64;
    }

    // Warm: one store, after a first push; each message is new since the last push. The floors
    // are sampled in turn with it, a message each, so that whatever drifts over the run (the
    // database growing, the server's caches) weighs on all of them alike: GET /event; the warm
    // push's sliding sync sent raw (the floor of a fresh decision); the `/sync` a server without
    // sliding sync gets, raw and handled (sliding sync off).
    let warm_phone = phone(&hs, &bob_id, &bob_password).await;
    measure(&warm_phone, &room, 1, message).await;
    let classic = classic_phone(&hs, &bob_id, &bob_password).await;
    measure(&classic, &room, 1, message).await;
    let floor_phone = phone(&hs, &bob_id, &bob_password).await;
    let mut floors = RawFloors::start(&transport, &floor_phone, &room).await;
    let (mut baseline, mut sync_floor, mut sliding_floor) = (Vec::new(), Vec::new(), Vec::new());
    let (mut warm, mut warm_classic) = (Measured::default(), Measured::default());
    for i in 0..PAIRED_SAMPLES {
        baseline.push(event_round_trip(&room, message(i).await).await);
        warm.add(measure(&warm_phone, &room, 1, |_| message(i)).await);
        message(i).await;
        sliding_floor.push(floors.sliding(&transport, &floor_phone).await);
        warm_classic.add(measure(&classic, &room, 1, |_| message(i)).await);
        message(i).await;
        sync_floor.push(floors.sync(&transport, &floor_phone, i).await);
    }
    let warm_p50 = percentile(&mut warm.latencies.clone(), 0.5);
    // Paired: each warm push less the raw sliding sync sampled next to it. Synapse's own time
    // for a request wanders by a millisecond and more between neighbouring requests (often in
    // two bands), which moves a difference of two medians far more than what the SDK adds.
    let mut added: Vec<f64> = warm
        .latencies
        .iter()
        .zip(&sliding_floor)
        .map(|(warm, raw)| warm - raw)
        .collect();
    let warm_classic_p50 = percentile(&mut warm_classic.latencies.clone(), 0.5);
    // Warm after a state change: the room is renamed before each message; the raw sliding sync
    // sampled in turn, after a rename of its own, tells Synapse's share from the SDK's.
    let renamed_message = |i: usize| {
        let (alice, room) = (&alice, &room);
        async move {
            let url = alice
                .session_client()
                .url_of(&["rooms", room, "state", "m.room.name", ""]);
            alice
                .session_client()
                .send_request(Request::new(Method::Put, url).json(json!({"name": format!("Bench room {i}")})))
                .await
                .unwrap();
            send(alice, room, &format!("after rename {i}")).await
        }
    };
    let (mut changed_floor, mut changed) = (Vec::new(), Measured::default());
    for i in 0..SAMPLES {
        renamed_message(2 * i).await;
        changed_floor.push(floors.sliding(&transport, &floor_phone).await);
        changed.add(measure(&warm_phone, &room, 1, |_| renamed_message(2 * i + 1)).await);
    }
    let mut changed_added: Vec<f64> = changed
        .latencies
        .iter()
        .zip(&changed_floor)
        .map(|(handled, raw)| handled - raw)
        .collect();
    // Warm in a room of more members than `ALL_MEMBERS_UP_TO`: lazy members, its own floor
    // sampled in turn.
    let mut invites = vec![json!(bob_id)];
    for _ in 0..ALL_MEMBERS_UP_TO {
        invites.push(json!(hs.register("benchcrowd", false).await.0));
    }
    let large_room = create_room(&alice, json!({"invite": invites, "name": "Large bench room"})).await;
    join(&bob, &large_room).await;
    let large_message = |i: usize| {
        let (alice, room) = (&alice, &large_room);
        async move { send(alice, room, &format!("large {i}")).await }
    };
    measure(&warm_phone, &large_room, 1, large_message).await;
    let (mut large_floor, mut large) = (Vec::new(), Measured::default());
    for i in 0..PAIRED_SAMPLES {
        large_floor.push(event_round_trip(&large_room, large_message(i).await).await);
        large.add(measure(&warm_phone, &large_room, 1, large_message).await);
    }
    let large_p50 = percentile(&mut large.latencies.clone(), 0.5);
    let large_floor_p50 = percentile(&mut large_floor, 0.5);

    let mut history_iter = history.iter();
    let far_back = measure(&warm_phone, &room, SAMPLES, |_| {
        let event = history_iter.next().unwrap().clone();
        async move { event }
    })
    .await;

    // Extension-like launches: a fresh process per push, session from the keyring, warm store.
    let service = "io.matrixpush.bench";
    let account = unique("bench");
    let keyring = KeyringSessionStore::new(service, &account);
    let launch_device = phone(&hs, &bob_id, &bob_password).await;
    let store_dir = launch_device.state().dir().to_owned();
    measure(&launch_device, &room, 1, message).await;
    keyring.save(&launch_device.session().unwrap()).unwrap();
    let launcher = std::env::current_exe().unwrap().with_file_name("nse-launch");
    let mut launches: Vec<Value> = Vec::new();
    let mut wall = Vec::new();
    for i in 0..LAUNCHES {
        let event = message(i).await;
        let started = Instant::now();
        let report = launch(
            &launcher,
            &hs,
            &store_dir,
            (service, &account),
            &room,
            &event,
            false,
        );
        wall.push(started.elapsed().as_secs_f64() * 1e3);
        launches.push(report);
    }
    keyring.clear().unwrap();
    let plain_launches = Launches::of(&launches);
    assert!(
        launches
            .iter()
            .all(|l| l["outcome"].as_str().unwrap().starts_with("show:")),
        "{launches:?}"
    );

    let encrypted = encrypted_rows(&hs, &bob_id, &bob_password, &launcher).await;
    let peer = match std::env::var_os("MATRIX_PUSH_PEER") {
        Some(peer) => Some(
            peer_rows(
                std::path::Path::new(&peer),
                &hs,
                (&bob, &bob_id, &bob_password),
                &alice,
                &transport,
                &room,
                (&encrypted.sender, &encrypted.room),
            )
            .await,
        ),
        None => None,
    };

    let base_p50 = percentile(&mut baseline.clone(), 0.5);
    let changed_p50 = percentile(&mut changed.latencies.clone(), 0.5);
    let warm_bytes = warm.bytes;
    let encrypted_p50 = percentile(&mut encrypted.warm.latencies.clone(), 0.5);
    let encrypted_base_p50 = percentile(&mut encrypted.floor.clone(), 0.5);
    let encrypted_launch_p50 = encrypted.launch.p50();
    let mut rows = vec![
        row("GET /event (one round trip)", baseline, 1.0, None, "the floor"),
        row(
            "sliding sync (MSC4186), raw",
            sliding_floor.clone(),
            1.0,
            None,
            "the warm push's request alone",
        ),
        row(
            "GET /sync incremental, raw",
            sync_floor.clone(),
            1.0,
            None,
            "the same asked by /sync (servers without sliding sync)",
        ),
        row(
            "handle, cold store",
            cold,
            cold_requests,
            Some(cold_bytes),
            "sliding sync from scratch (brings the creation too)",
        ),
        measured_row(
            "handle, warm store",
            warm,
            "incremental sliding sync (brings the event)",
        ),
        measured_row(
            "handle, warm, by /sync",
            warm_classic,
            "sliding sync off: filtered /sync from the room's position",
        ),
        row(
            "sliding sync, raw, after a rename",
            changed_floor.clone(),
            1.0,
            None,
            "the same request after a rename, in turn with the next row",
        ),
        measured_row(
            "handle, warm, after a state change",
            changed,
            "room renamed before each",
        ),
        measured_row(
            "handle, warm, room of 52 members",
            large,
            "lazy members (rooms of more than 50)",
        ),
        measured_row("handle, warm, event 300 back", far_back, "sync, then /context"),
        row(
            "extension launch (in process)",
            plain_launches.in_process.clone(),
            plain_launches.requests,
            None,
            "main() to outcome",
        ),
        row(
            "extension launch (wall)",
            wall,
            plain_launches.requests,
            None,
            "spawn to exit",
        ),
        row(
            "e2ee: GET /event (one round trip)",
            encrypted.floor.clone(),
            1.0,
            None,
            "the floor, in turn with the next row",
        ),
        measured_row(
            "e2ee: handle, warm, key in store",
            encrypted.warm,
            "built-in crypto; decrypted with the key the app took in",
        ),
        measured_row(
            "e2ee: handle, warm, key by to-device",
            encrypted.to_device,
            "a new room key arrives in the push's own sync",
        ),
        row(
            "e2ee: extension launch (in process)",
            encrypted.launch.in_process.clone(),
            encrypted.launch.requests,
            None,
            "fresh process, key in store",
        ),
        row(
            "e2ee: extension launch, key by to-device",
            encrypted.launch_to_device.in_process.clone(),
            encrypted.launch_to_device.requests,
            None,
            "fresh process, new room key in the push's sync",
        ),
        row(
            "e2ee: extension launch, unencrypted room",
            encrypted.launch_plain.in_process.clone(),
            encrypted.launch_plain.requests,
            None,
            "fresh process; the crypto store stays closed",
        ),
    ];
    if let Some(peer) = &peer {
        rows.extend([
            row(
                "peer: GET /event (one round trip)",
                peer.floor.clone(),
                1.0,
                None,
                "the floor, in turn with the next row",
            ),
            row(
                "peer: warm (process that stays)",
                peer.warm.clone(),
                peer.warm_requests,
                None,
                "matrix-rust-sdk NotificationClient",
            ),
            row(
                "peer: extension launch (in process)",
                peer.launch.in_process.clone(),
                peer.launch.requests,
                None,
                "main() to outcome",
            ),
            row(
                "peer: extension launch (wall)",
                peer.wall.clone(),
                peer.launch.requests,
                None,
                "spawn to exit",
            ),
            row(
                "peer e2ee: GET /event (one round trip)",
                peer.e2ee_floor.clone(),
                1.0,
                None,
                "the floor, in turn with the next row",
            ),
            row(
                "peer e2ee: warm, key in store",
                peer.e2ee_warm.clone(),
                peer.e2ee_warm_requests,
                None,
                "a process that stays; the app took the key in",
            ),
            row(
                "peer e2ee: extension launch (in process)",
                peer.e2ee_launch.in_process.clone(),
                peer.e2ee_launch.requests,
                None,
                "fresh process, key in store",
            ),
            row(
                "peer e2ee: extension launch, key by to-device",
                peer.e2ee_launch_to_device.in_process.clone(),
                peer.e2ee_launch_to_device.requests,
                None,
                "fresh process, new room key (its encryption sync)",
            ),
        ]);
    }
    println!(
        "\nnotify benchmark: {SAMPLES} pushes per row, {PAIRED_SAMPLES} for the rows with a floor sampled in turn (event_id_only), loopback Synapse, freshness on"
    );
    println!(
        "{:<42} {:>9} {:>9} {:>9} {:>10}  note",
        "case", "p50 ms", "p95 ms", "requests", "bytes"
    );
    for r in &rows {
        let bytes = r.bytes.map_or("-".to_owned(), |b| format!("{b:.0}"));
        println!(
            "{:<42} {:>9.2} {:>9.2} {:>9.2} {:>10}  {}",
            r.name, r.p50_ms, r.p95_ms, r.requests, bytes, r.note
        );
    }
    println!(
        "\nwarm p50 / GET-event p50 = {:.2} (target ≤ 1.2); after a state change {:.2}; {:.0} bytes received per warm push",
        warm_p50 / base_p50,
        changed_p50 / base_p50,
        warm_bytes
    );
    println!(
        "after a state change the raw sliding sync is {:.2} × GET /event, the SDK adds {:.2} ms to it (median of the paired differences)",
        percentile(&mut changed_floor.clone(), 0.5) / base_p50,
        percentile(&mut changed_added, 0.5),
    );
    println!(
        "in a room of 52 members (lazy members) warm p50 / GET-event p50 = {:.2} (its own floor, {:.2} ms)",
        large_p50 / large_floor_p50,
        large_floor_p50
    );
    let sliding_p50 = percentile(&mut sliding_floor.clone(), 0.5);
    println!(
        "the warm push's sliding sync alone is {:.2} × GET /event, the SDK adds {:.2} ms to it (rules, decision; median of the differences to the raw request sampled next to each push: {:.2} ms); by /sync {:.2} × raw, {:.2} × handled",
        sliding_p50 / base_p50,
        warm_p50 - sliding_p50,
        percentile(&mut added, 0.5),
        percentile(&mut sync_floor.clone(), 0.5) / base_p50,
        warm_classic_p50 / base_p50,
    );
    println!(
        "extension launch: p50 {:.1} ms in process, {:.1} requests, peak RSS {:.1} MiB (VmHWM), peak anonymous {:.2} MiB (RssAnon)",
        plain_launches.p50(),
        plain_launches.requests,
        plain_launches.hwm_kib / 1024.0,
        plain_launches.anon_kib / 1024.0
    );
    println!(
        "e2ee: warm encrypted p50 / GET-event p50 = {:.2} (target ≤ 1.5); extension launch p50 {:.1} ms (target ≤ 25), peak RSS {:.1} MiB (target ≤ 16), peak anonymous {:.2} MiB (target ≤ 6)",
        encrypted_p50 / encrypted_base_p50,
        encrypted_launch_p50,
        encrypted.launch.hwm_kib / 1024.0,
        encrypted.launch.anon_kib / 1024.0
    );
    println!(
        "e2ee build, unencrypted room: extension launch p50 {:.1} ms, peak RSS {:.1} MiB, peak anonymous {:.2} MiB",
        encrypted.launch_plain.p50(),
        encrypted.launch_plain.hwm_kib / 1024.0,
        encrypted.launch_plain.anon_kib / 1024.0
    );
    if let Some(peer) = peer {
        let p50 = |v: &[f64]| percentile(&mut v.to_vec(), 0.5);
        let (peer_warm_p50, peer_launch_p50) = (p50(&peer.warm), peer.launch.p50());
        let launch_p50 = plain_launches.p50();
        println!(
            "peer, matrix-rust-sdk 0.18 NotificationClient in this run: warm p50 / its GET-event p50 = {:.2} (matrix-push {:.2}); matrix-push warm {:.1}× faster ({:.2} against {:.2} ms), 1.0 against {:.1} requests",
            peer_warm_p50 / p50(&peer.floor),
            warm_p50 / base_p50,
            peer_warm_p50 / warm_p50,
            warm_p50,
            peer_warm_p50,
            peer.warm_requests,
        );
        println!(
            "peer extension launch: p50 {:.1} ms in process, {:.1} requests, peak RSS {:.1} MiB, peak anonymous {:.2} MiB; matrix-push {:.1}× faster ({:.1} ms), {:.1}× less RSS, {:.1}× less anonymous",
            peer_launch_p50,
            peer.launch.requests,
            peer.launch.hwm_kib / 1024.0,
            peer.launch.anon_kib / 1024.0,
            peer_launch_p50 / launch_p50,
            launch_p50,
            peer.launch.hwm_kib / plain_launches.hwm_kib,
            peer.launch.anon_kib / plain_launches.anon_kib,
        );
        let (peer_e2ee_warm_p50, peer_e2ee_launch_p50) = (p50(&peer.e2ee_warm), peer.e2ee_launch.p50());
        println!(
            "peer e2ee: warm p50 / its GET-event p50 = {:.2} (matrix-push {:.2}), matrix-push {:.1}× faster; extension launch p50 {:.1} ms, {:.1} requests, peak RSS {:.1} MiB, peak anonymous {:.2} MiB (matrix-push {:.1}× faster, {:.1}× less RSS); with a new key by to-device {:.1} ms, {:.1} requests (matrix-push {:.1}× faster)",
            peer_e2ee_warm_p50 / p50(&peer.e2ee_floor),
            encrypted_p50 / encrypted_base_p50,
            peer_e2ee_warm_p50 / encrypted_p50,
            peer_e2ee_launch_p50,
            peer.e2ee_launch.requests,
            peer.e2ee_launch.hwm_kib / 1024.0,
            peer.e2ee_launch.anon_kib / 1024.0,
            peer_e2ee_launch_p50 / encrypted_launch_p50,
            peer.e2ee_launch.hwm_kib / encrypted.launch.hwm_kib,
            peer.e2ee_launch_to_device.p50(),
            peer.e2ee_launch_to_device.requests,
            peer.e2ee_launch_to_device.p50() / encrypted.launch_to_device.p50(),
        );
    }
}

/// matrix-rust-sdk's `NotificationClient` (`tests/peer`) measured beside: Bob signed in on its
/// store as the app would be, the same rooms and messages as our rows.
struct PeerRows {
    /// GET /event, raw, sampled in turn with `warm`.
    floor: Vec<f64>,
    /// `get_notification` in a process that stays, one notification client.
    warm: Vec<f64>,
    warm_requests: f64,
    /// Extension-like launches, a fresh process per push: `main` to outcome, and spawn to exit.
    launch: Launches,
    wall: Vec<f64>,
    /// The encrypted DM: GET /event in turn with warm pushes, the key in the store.
    e2ee_floor: Vec<f64>,
    e2ee_warm: Vec<f64>,
    e2ee_warm_requests: f64,
    /// Launches with the key in the store, and with a new key sent by to-device just before.
    e2ee_launch: Launches,
    e2ee_launch_to_device: Launches,
}

/// Extension-like launches (`nse-launch`'s or the peer's reports): time in process (ms), mean
/// requests, peak memory over all of them.
struct Launches {
    in_process: Vec<f64>,
    requests: f64,
    hwm_kib: f64,
    anon_kib: f64,
}

impl Launches {
    fn p50(&self) -> f64 {
        percentile(&mut self.in_process.clone(), 0.5)
    }

    fn of(reports: &[Value]) -> Launches {
        let field = |name: &str| -> Vec<f64> { reports.iter().map(|r| r[name].as_f64().unwrap()).collect() };
        let max = |v: Vec<f64>| v.into_iter().fold(0.0, f64::max);
        Launches {
            in_process: field("elapsed_us").into_iter().map(|us| us / 1e3).collect(),
            requests: field("requests").iter().sum::<f64>() / reports.len() as f64,
            hwm_kib: max(field("vm_hwm_kib")),
            anon_kib: max(field("rss_anon_kib")),
        }
    }
}

/// A peer process that stays (`matrix-push-peer serve`): a push per line, a report per line.
struct PeerServer {
    child: std::process::Child,
    to_peer: std::process::ChildStdin,
    from_peer: std::io::BufReader<std::process::ChildStdout>,
}

impl PeerServer {
    fn start(peer: &std::path::Path, hs: &Homeserver, store: &str) -> PeerServer {
        let mut child = std::process::Command::new(peer)
            .args(["serve", hs.url.as_str(), store])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the peer runs");
        PeerServer {
            to_peer: child.stdin.take().unwrap(),
            from_peer: std::io::BufReader::new(child.stdout.take().unwrap()),
            child,
        }
    }

    /// The push of `event`; its report, which must show `expected`.
    fn push(&mut self, room: &str, event: &str, expected: &str) -> Value {
        use std::io::{BufRead, Write};
        writeln!(self.to_peer, "{room} {event}").unwrap();
        let mut line = String::new();
        self.from_peer.read_line(&mut line).unwrap();
        let report: Value = serde_json::from_str(&line).expect("the peer answers each push");
        assert_eq!(
            report["outcome"].as_str(),
            Some(format!("show:{expected}").as_str()),
            "{report}"
        );
        report
    }

    /// `count` warm pushes in `room`, each after the floor (`GET /event`, `round_trip`) for a
    /// message of its own sent just before: the floors and the pushes' times (ms), and the
    /// pushes' mean requests. `message` sends a text and answers its event id.
    async fn paired(
        &mut self,
        room: &str,
        count: usize,
        label: &str,
        message: impl AsyncFn(&str) -> String,
        round_trip: &impl AsyncFn(&str, &str) -> f64,
    ) -> (Vec<f64>, Vec<f64>, f64) {
        let (mut floor, mut warm, mut requests) = (Vec::new(), Vec::new(), 0.0);
        for i in 0..count {
            floor.push(round_trip(room, &message(&format!("{label} floor {i}")).await).await);
            let text = format!("{label} {i}");
            let report = self.push(room, &message(&text).await, &text);
            warm.push(report["elapsed_us"].as_f64().unwrap() / 1e3);
            requests += report["requests"].as_f64().unwrap() / count as f64;
        }
        (floor, warm, requests)
    }

    fn stop(self) {
        drop(self.to_peer);
        let mut child = self.child;
        child.wait().unwrap();
    }
}

async fn peer_rows(
    peer: &std::path::Path,
    hs: &Homeserver,
    (bob, bob_id, bob_password): (&Client, &str, &str),
    alice: &Client,
    transport: &Transport,
    room: &str,
    (sender, e2ee_room): (&CryptoDevice, &str),
) -> PeerRows {
    let run = |args: &[&str]| -> Value {
        let output = std::process::Command::new(peer)
            .args(args)
            .output()
            .expect("the peer (MATRIX_PUSH_PEER) runs");
        assert!(
            output.status.success(),
            "peer {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut report: Value = serde_json::from_slice(&output.stdout).expect("the peer prints its report");
        // Its log lines, when MATRIX_PUSH_PEER_LOG asks for them.
        report["log"] = json!(String::from_utf8_lossy(&output.stderr));
        report
    };
    let store = std::env::temp_dir().join(unique("matrix-push-peer"));
    let store = store.to_str().unwrap();
    let url = hs.url.as_str();
    run(&["login", url, store, bob_id, bob_password]);
    let event_round_trip = async |room: &str, event: &str| {
        let url = bob.session_client().url_of(&["rooms", room, "event", event]);
        timed_raw(transport, bob, Request::new(Method::Get, url)).await.1
    };
    let launch = |room: &str, event: &str, expected: &str| -> (Value, f64) {
        let started = Instant::now();
        let report = run(&["push", url, store, room, event]);
        let wall = started.elapsed().as_secs_f64() * 1e3;
        assert_eq!(
            report["outcome"].as_str(),
            Some(format!("show:{expected}").as_str()),
            "{report}\n{}",
            report["log"].as_str().unwrap()
        );
        (report, wall)
    };

    let mut server = PeerServer::start(peer, hs, store);
    // The first push opens the notification client's sliding sync connection.
    server.push(room, &send(alice, room, "peer first").await, "peer first");
    let (floor, warm, warm_requests) = server
        .paired(
            room,
            PAIRED_SAMPLES,
            "peer warm",
            async |text: &str| send(alice, room, text).await,
            &event_round_trip,
        )
        .await;
    server.stop();
    let (mut launches, mut wall) = (Vec::new(), Vec::new());
    for i in 0..LAUNCHES {
        let text = format!("peer launch {i}");
        let (report, elapsed) = launch(room, &send(alice, room, &text).await, &text);
        launches.push(report);
        wall.push(elapsed);
    }

    // Encrypted: Alice's next message shares the room key with the peer's device too; the app
    // takes it in with a sync, as it would while open.
    let users = [sender.user_id(), bob_id.to_owned()];
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    let secret = async |text: &str, new_key: bool| {
        if new_key {
            sender
                .machine
                .discard_room_key(&matrix_sdk_common::ruma::OwnedRoomId::try_from(e2ee_room).unwrap())
                .await
                .unwrap();
        }
        sender
            .send_encrypted(e2ee_room, &users, text, CollectStrategy::AllDevices)
            .await
    };
    secret("peer first secret", false).await;
    run(&["sync", url, store]);
    let mut server = PeerServer::start(peer, hs, store);
    let first = secret("peer secret", false).await;
    server.push(e2ee_room, &first, "peer secret");
    let (e2ee_floor, e2ee_warm, e2ee_warm_requests) = server
        .paired(
            e2ee_room,
            SAMPLES,
            "peer secret",
            async |text: &str| secret(text, false).await,
            &event_round_trip,
        )
        .await;
    server.stop();
    let (mut in_store, mut by_to_device) = (Vec::new(), Vec::new());
    for i in 0..LAUNCHES {
        let text = format!("peer secret launch {i}");
        in_store.push(launch(e2ee_room, &secret(&text, false).await, &text).0);
    }
    for i in 0..LAUNCHES {
        let text = format!("peer new key launch {i}");
        by_to_device.push(launch(e2ee_room, &secret(&text, true).await, &text).0);
    }
    let _ = std::fs::remove_dir_all(store);
    PeerRows {
        floor,
        warm,
        warm_requests,
        launch: Launches::of(&launches),
        wall,
        e2ee_floor,
        e2ee_warm,
        e2ee_warm_requests,
        e2ee_launch: Launches::of(&in_store),
        e2ee_launch_to_device: Launches::of(&by_to_device),
    }
}

/// One extension-like launch (`nse-launch`) for the push of `event` in `room`, on the store in
/// `store_dir` and the session in the keyring's `(service, account)`: its report (outcome, time,
/// requests, memory). Panics with its errors when it fails.
fn launch(
    launcher: &std::path::Path,
    hs: &Homeserver,
    store_dir: &std::path::Path,
    (service, account): (&str, &str),
    room: &str,
    event: &str,
    encryption: bool,
) -> Value {
    let data = json!({"event_id": event, "room_id": room, "unread": "1", "prio": "high"});
    let mut command = std::process::Command::new(launcher);
    command.args([
        hs.url.as_str(),
        store_dir.to_str().unwrap(),
        service,
        account,
        &data.to_string(),
    ]);
    if encryption {
        command.arg("e2ee");
    }
    let output = command.output().expect("nse-launch is built next to this binary");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("nse-launch prints its report")
}

/// The encrypted cases, measured like the others.
struct EncryptedRows {
    /// GET /event, raw, sampled in turn with `warm`.
    floor: Vec<f64>,
    warm: Measured,
    to_device: Measured,
    /// Launches with the key in the store, and with a new key by to-device.
    launch: Launches,
    launch_to_device: Launches,
    /// Launches with built-in encryption on, for pushes in an unencrypted room.
    launch_plain: Launches,
    /// Alice's crypto device and the encrypted DM, for the peer's encrypted rows.
    sender: CryptoDevice,
    room: String,
}

/// Bob's phone with built-in encryption in an encrypted room with Alice, a real crypto client:
/// warm pushes decrypted with a key already in the store and with a new key that arrives by
/// to-device in the push's own sync; then extension-like launches of both kinds, and in an
/// unencrypted room (what the crypto store costs a push that does not need it).
async fn encrypted_rows(
    hs: &Homeserver,
    bob_id: &str,
    bob_password: &str,
    launcher: &std::path::Path,
) -> EncryptedRows {
    let alice = CryptoDevice::new(hs.signed_in("benchcrypto").await.0).await;
    // Cross-signed, as today's clients set themselves up (and as senders that share only with
    // cross-signed devices, MSC4153, must be): the phone settles who sent a room key once, where
    // a key from a device without an identity is looked into again at every decryption.
    alice.set_up_cross_signing().await;
    let alice_id = alice.user_id();
    let store_dir = matrix_push_tests::temp_dir("bench-e2ee");
    let service = "io.matrixpush.bench";
    let account = unique("bench-e2ee");
    let keyring = std::sync::Arc::new(KeyringSessionStore::new(service, &account));
    let phone = Client::builder(hs.url.clone())
        .store_dir(&store_dir)
        .session_store(keyring.clone())
        .encryption(true)
        .build()
        .unwrap();
    matrix_push_tests::log_in(&phone, bob_id, bob_password).await;
    let room = create_encrypted_dm(&alice.client, bob_id).await;
    join(&phone, &room).await;
    let users = [alice_id.as_str(), bob_id];
    let encrypted = |i: usize, new_key: bool| {
        let (alice, room, users) = (&alice, &room, &users);
        async move {
            if new_key {
                alice
                    .machine
                    .discard_room_key(&matrix_sdk_common::ruma::OwnedRoomId::try_from(room.as_str()).unwrap())
                    .await
                    .unwrap();
            }
            alice
                .send_encrypted(room, users, &format!("secret {i}"), CollectStrategy::AllDevices)
                .await
        }
    };
    // The first push takes the room's key in; after it, the key is in the store.
    measure(&phone, &room, 1, |i| encrypted(i, false)).await;
    // The floor (GET /event, raw, for an encrypted message just sent) in turn with the warm
    // pushes, as for the plain rows.
    let transport = Transport::new(HttpConfig::default()).unwrap();
    let (mut floor, mut warm) = (Vec::new(), Measured::default());
    for i in 0..PAIRED_SAMPLES {
        let event = encrypted(i, false).await;
        let url = phone.session_client().url_of(&["rooms", &room, "event", &event]);
        floor.push(
            timed_raw(&transport, &phone, Request::new(Method::Get, url))
                .await
                .1,
        );
        warm.add(measure(&phone, &room, 1, |_| encrypted(i, false)).await);
    }
    let to_device = measure(&phone, &room, SAMPLES, |i| encrypted(i, true)).await;

    let launches = async |new_key: bool| -> Vec<Value> {
        let mut reports = Vec::new();
        for i in 0..LAUNCHES {
            let event = encrypted(i, new_key).await;
            let report = launch(launcher, hs, &store_dir, (service, &account), &room, &event, true);
            assert_eq!(
                report["outcome"].as_str(),
                Some(format!("show:secret {i}").as_str()),
                "{report}"
            );
            reports.push(report);
        }
        reports
    };
    let in_store = launches(false).await;
    let by_to_device = launches(true).await;
    let plain_room = create_room(&alice.client, json!({"invite": [bob_id]})).await;
    join(&phone, &plain_room).await;
    let plain = |i: usize| {
        let (alice, plain_room) = (&alice, &plain_room);
        async move {
            send_event(
                &alice.client,
                plain_room,
                "m.room.message",
                json!({"msgtype": "m.text", "body": format!("plain {i}")}),
            )
            .await
        }
    };
    measure(&phone, &plain_room, 1, plain).await;
    let mut in_plain_room = Vec::new();
    for i in 0..LAUNCHES {
        let event = plain(i).await;
        let report = launch(
            launcher,
            hs,
            &store_dir,
            (service, &account),
            &plain_room,
            &event,
            true,
        );
        assert_eq!(
            report["outcome"].as_str(),
            Some(format!("show:plain {i}").as_str()),
            "{report}"
        );
        in_plain_room.push(report);
    }
    keyring.clear().unwrap();
    EncryptedRows {
        floor,
        warm,
        to_device,
        launch: Launches::of(&in_store),
        launch_to_device: Launches::of(&by_to_device),
        launch_plain: Launches::of(&in_plain_room),
        sender: alice,
        room,
    }
}
