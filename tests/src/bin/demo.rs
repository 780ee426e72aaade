//! The end-to-end demo (`scripts/demo`, README command 1): a phone's user signs in through the
//! SDK, registers a pusher to the project's push gateway, and another user sends a scripted series
//! of events. For each, the demo prints what reached the phone (the provider payload, after how
//! long) and what the SDK decided (title, body, sound, highlight, or why it stayed silent; badge
//! updates), and checks the decision against the one expected. Exit code 1 when any differs.
//!
//! The homeserver comes from the harness variables (`MATRIX_PUSH_SYNAPSE_URL`,
//! `…_SERVER_NAME`, `…_SECRET`); `scripts/demo` starts a Synapse of its own and sets them.
//! Options: `--provider apns|fcm` (the phone's push service, default apns), `--report FILE`
//! (a JSON summary of every step, for tests). Ctrl-C signs the demo's devices out and removes
//! its files before exiting.

use matrix_push::Client;
use matrix_push::http::{Method, Request};
use matrix_push::notify::{NotificationKind, Outcome, SuppressReason};
use matrix_push::payload::PushPayload;
use matrix_push::pushers::Pusher;
use matrix_push::secret::Secret;
use matrix_push::session::LoginIdentifier;
use matrix_push::settings::RoomNotificationMode;
use matrix_push_tests::e2ee::CryptoDevice;
use matrix_push_tests::gateway::{Delivery, DeviceProvider, Gateway};
use matrix_push_tests::{Homeserver, create_room, join, send_event, set_display_name, temp_dir, unique};
use matrix_sdk_crypto::CollectStrategy;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a push may take to arrive before the step counts as "no push".
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a step that should push nothing waits for a push that should not come.
const SILENT_WINDOW: Duration = Duration::from_millis(1500);
/// The phone's deadline for resolving a push (an iOS extension has 30 s; be stricter).
const HANDLE_DEADLINE: Duration = Duration::from_secs(10);

/// What the SDK should decide for a step.
#[derive(Clone, Debug)]
enum Expect {
    /// A notification: its kind, the rule that decided, sound and highlight.
    Show {
        kind: &'static str,
        rule: String,
        sound: Option<&'static str>,
        highlight: bool,
    },
    /// No push reaches the phone; handling the event anyway, the SDK stays silent for `reason`.
    NoPush { reason: String },
}

/// One line of the timeline, kept for the summary and the report.
struct StepResult {
    label: String,
    ok: bool,
    decision: String,
    push_ms: Option<f64>,
    handle_ms: Option<f64>,
    requests: Option<u64>,
}

struct Demo {
    gateway: Gateway,
    phone: Arc<Client>,
    pushkey: String,
    provider: DeviceProvider,
    results: Vec<StepResult>,
    started: Instant,
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

fn kind_name(kind: &NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Message { .. } => "message",
        NotificationKind::Invite { .. } => "invite",
        NotificationKind::Call { .. } => "call",
        NotificationKind::Encrypted => "encrypted",
        NotificationKind::Other { .. } => "other",
        _ => "new kind",
    }
}

fn silent_reason(reason: &SuppressReason) -> String {
    match reason {
        SuppressReason::Rules { rule_id: Some(rule) } => format!("rule {rule}"),
        SuppressReason::Rules { rule_id: None } => "no rule matched".into(),
        SuppressReason::OwnEvent => "own event".into(),
        SuppressReason::Edit => "an edit".into(),
        SuppressReason::Redacted => "redacted".into(),
        SuppressReason::IgnoredSender => "an ignored sender".into(),
        other => format!("{other:?}"),
    }
}

/// The decision in one line, and whether it is the expected one.
fn judge(outcome: &Outcome, expect: &Expect, room_names: &dyn Fn(&str) -> String) -> (String, bool) {
    match (outcome, expect) {
        (
            Outcome::Show(n),
            Expect::Show {
                kind,
                rule,
                sound,
                highlight,
            },
        ) => {
            let title = if n.is_dm {
                n.sender_name.clone()
            } else {
                format!("{} in {}", n.sender_name, n.room_name)
            };
            let text = format!(
                "SHOW {:?}: {:?} · sound {} · {} · rule {}",
                title,
                short(&n.body, 48),
                n.sound.as_deref().unwrap_or("none"),
                if n.highlight { "highlight" } else { "no highlight" },
                n.rule_id.as_deref().map(room_names).unwrap_or_else(|| "?".into()),
            );
            let ok = kind_name(&n.kind) == *kind
                && n.rule_id.as_deref() == Some(rule.as_str())
                && n.sound.as_deref() == *sound
                && n.highlight == *highlight;
            (text, ok)
        }
        (Outcome::Suppressed { reason, .. }, Expect::NoPush { reason: expected }) => {
            let got = silent_reason(reason);
            let ok = match reason {
                SuppressReason::Rules { rule_id: Some(rule) } => rule == expected,
                SuppressReason::Edit => expected == "edit",
                _ => false,
            };
            (format!("silent ({})", room_names(&got)), ok)
        }
        (other, _) => (format!("unexpected: {other:?}"), false),
    }
}

fn describe_payload(delivery: &Delivery) -> String {
    let provider = match delivery.provider {
        DeviceProvider::Fcm => "FCM v1 data",
        other => other.display_name(),
    };
    // Ids shortened: the shape of the payload is the point, not 44 characters of hash.
    let mut payload = delivery.payload.clone();
    if let Some(fields) = payload.as_object_mut() {
        for value in fields.values_mut() {
            if let Some(id) = value
                .as_str()
                .filter(|id| id.starts_with(['$', '!']) && id.len() > 12)
            {
                let cut = (0..=9).rev().find(|&i| id.is_char_boundary(i)).unwrap_or(0);
                *value = json!(format!("{}…", &id[..cut]));
            }
        }
    }
    format!("{provider} {payload}")
}

/// One event Bob sends, and what the phone should make of it.
struct Scripted {
    label: &'static str,
    room: String,
    event_type: &'static str,
    content: Value,
    expect: Expect,
}

impl Scripted {
    fn new(
        label: &'static str,
        room: &str,
        event_type: &'static str,
        content: Value,
        expect: Expect,
    ) -> Scripted {
        Scripted {
            label,
            room: room.to_owned(),
            event_type,
            content,
            expect,
        }
    }
}

impl Demo {
    /// Sends a scripted event as `from` and runs its step; returns the event id. Events that
    /// would show are remembered as the room's last for the read receipts.
    async fn send(
        &mut self,
        from: &Client,
        scripted: Scripted,
        last_event: &mut HashMap<String, String>,
        names: &dyn Fn(&str) -> String,
    ) -> String {
        let sent = Instant::now();
        let id = send_event(from, &scripted.room, scripted.event_type, scripted.content).await;
        // A push that should not come is still handled, to show the phone agrees.
        let silent_payload = match scripted.expect {
            Expect::NoPush { .. } => Some(PushPayload {
                event_id: Some(id.clone()),
                room_id: Some(scripted.room.clone()),
                ..PushPayload::default()
            }),
            Expect::Show { .. } => None,
        };
        if scripted.event_type != "m.reaction" {
            last_event.insert(scripted.room.clone(), id.clone());
        }
        let wanted = id.clone();
        self.step(
            scripted.label.to_owned(),
            sent,
            move |d: &Delivery| d.payload["event_id"] == json!(wanted),
            silent_payload,
            scripted.expect,
            names,
        )
        .await;
        id
    }

    /// Prints the step's heading; its result, to be filled in.
    fn begin(&self, label: String) -> StepResult {
        println!("{} {:>2}. {label}", self.stamp(), self.results.len() + 1);
        StepResult {
            label,
            ok: false,
            decision: String::new(),
            push_ms: None,
            handle_ms: None,
            requests: None,
        }
    }

    fn stamp(&self) -> String {
        format!("{:>6.1} s", self.started.elapsed().as_secs_f64())
    }

    /// Hands a push to the SDK as the phone would; the outcome, its duration and HTTP requests.
    async fn handle(&self, payload: &PushPayload) -> (Outcome, Duration, u64) {
        let before = self.phone.session_client().transport().requests_sent();
        let started = Instant::now();
        let outcome = self.phone.handle_push(payload, HANDLE_DEADLINE).await;
        let took = started.elapsed();
        let requests = self.phone.session_client().transport().requests_sent() - before;
        (outcome, took, requests)
    }

    /// The next push to the phone that `wanted` accepts, waiting up to `timeout`; other pushes
    /// that arrive meanwhile are printed as unexpected.
    async fn wait_push(&self, timeout: Duration, wanted: impl Fn(&Delivery) -> bool) -> Option<Delivery> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let delivery = self.gateway.next_delivery_for(&self.pushkey, left).await?;
            if wanted(&delivery) {
                return Some(delivery);
            }
            println!("         (another push arrived: {})", describe_payload(&delivery));
        }
    }

    /// One scripted step: `sent` is when the event was sent, `matches` picks its push.
    async fn step(
        &mut self,
        label: String,
        sent: Instant,
        matches: impl Fn(&Delivery) -> bool,
        silent_payload: Option<PushPayload>,
        expect: Expect,
        names: &dyn Fn(&str) -> String,
    ) {
        let mut result = self.begin(label);
        let window = if matches!(expect, Expect::NoPush { .. }) {
            SILENT_WINDOW
        } else {
            PUSH_TIMEOUT
        };
        let delivery = self.wait_push(window, matches).await;
        match (delivery, silent_payload) {
            (Some(delivery), _) => {
                let push_ms = ms(delivery.received_at.saturating_duration_since(sent));
                println!(
                    "           push    after {push_ms:.0} ms: {}",
                    describe_payload(&delivery)
                );
                result.push_ms = Some(push_ms);
                match delivery.decode() {
                    Ok(payload) => {
                        let (outcome, took, requests) = self.handle(&payload).await;
                        let (text, ok) = judge(&outcome, &expect, names);
                        println!(
                            "           SDK     {text}   [{:.1} ms, {requests} request{}] {}",
                            ms(took),
                            if requests == 1 { "" } else { "s" },
                            if ok { "✓" } else { "✗ expected something else" }
                        );
                        result.ok = ok;
                        result.decision = text;
                        result.handle_ms = Some(ms(took));
                        result.requests = Some(requests);
                    }
                    Err(_) => {
                        println!("           SDK     cannot decode the payload ✗");
                        result.decision = "undecodable".into();
                    }
                }
            }
            (None, Some(payload)) => {
                // Nothing came, as the homeserver's copy of the rules says; the phone's evaluation
                // of the same event must agree.
                let (outcome, took, _) = self.handle(&payload).await;
                let (text, ok) = judge(&outcome, &expect, names);
                println!(
                    "           push    none within {:.1} s (the homeserver's rules say no)",
                    SILENT_WINDOW.as_secs_f64()
                );
                println!(
                    "           SDK     agrees: {text}   [{:.1} ms, handled anyway] {}",
                    ms(took),
                    if ok { "✓" } else { "✗ expected something else" }
                );
                result.ok = ok;
                result.decision = format!("no push; {text}");
                result.handle_ms = Some(ms(took));
            }
            (None, None) => {
                println!("           push    none within {:.0} s ✗", window.as_secs_f64());
                result.decision = "no push".into();
            }
        }
        self.results.push(result);
    }
}

fn args() -> Result<(DeviceProvider, Option<PathBuf>), String> {
    let mut provider = DeviceProvider::Apns;
    let mut report = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--provider" => {
                provider = match args.next().as_deref() {
                    Some("apns") => DeviceProvider::Apns,
                    Some("fcm") => DeviceProvider::Fcm,
                    other => return Err(format!("--provider takes apns or fcm, not {other:?}")),
                }
            }
            "--report" => report = Some(PathBuf::from(args.next().ok_or("--report needs a file")?)),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (options: --provider apns|fcm, --report FILE)"
                ));
            }
        }
    }
    Ok((provider, report))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let (provider, report) = match args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("demo: {message}");
            return std::process::ExitCode::from(2);
        }
    };
    let store = temp_dir("demo-phone");
    let mut devices: Vec<Arc<Client>> = Vec::new();
    let outcome = tokio::select! {
        outcome = run(provider, &store, &mut devices) => Some(outcome),
        _ = tokio::signal::ctrl_c() => None,
    };
    // Sign the demo's devices out (the homeserver drops their pushers) and remove the phone's files.
    for device in &devices {
        let _ = tokio::time::timeout(Duration::from_secs(5), device.logout()).await;
    }
    let _ = std::fs::remove_dir_all(&store);
    match outcome {
        None => {
            println!(
                "\ninterrupted: signed the demo's devices out and removed {}",
                store.display()
            );
            std::process::ExitCode::from(130)
        }
        Some(Err(message)) => {
            eprintln!("demo: {message}");
            std::process::ExitCode::from(1)
        }
        Some(Ok(results)) => {
            if let Some(path) = report {
                let steps: Vec<Value> = results
                    .iter()
                    .map(|r| {
                        json!({"label": r.label, "ok": r.ok, "decision": r.decision, "push_ms": r.push_ms,
                               "handle_ms": r.handle_ms, "requests": r.requests})
                    })
                    .collect();
                if let Err(e) = std::fs::write(&path, json!({"steps": steps}).to_string()) {
                    eprintln!("demo: cannot write {}: {e}", path.display());
                }
            }
            if results.iter().all(|r| r.ok) {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::from(1)
            }
        }
    }
}

async fn sign_in(
    hs: &Homeserver,
    user_id: &str,
    password: &str,
    dir: PathBuf,
    device: &str,
) -> Result<Arc<Client>, String> {
    signed_in_client(hs, user_id, password, dir, device, false)
        .await
        .map(Arc::new)
}

/// A client signed in as a new device of `user_id`; with `encryption`, the SDK's built-in
/// end-to-end encryption.
async fn signed_in_client(
    hs: &Homeserver,
    user_id: &str,
    password: &str,
    dir: PathBuf,
    device: &str,
    encryption: bool,
) -> Result<Client, String> {
    let client = Client::builder(hs.url.clone())
        .store_dir(dir)
        .session_store(Arc::new(matrix_push::session::MemorySessionStore::default()))
        .device_display_name(device)
        .encryption(encryption)
        .build()
        .map_err(|e| e.to_string())?;
    client
        .login_password(&LoginIdentifier::User(user_id.to_owned()), &Secret::new(password))
        .await
        .map_err(|e| format!("signing in {user_id}: {e}"))?;
    Ok(client)
}

async fn run(
    provider: DeviceProvider,
    store: &std::path::Path,
    devices: &mut Vec<Arc<Client>>,
) -> Result<Vec<StepResult>, String> {
    let started = Instant::now();
    let hs = Homeserver::main();
    let say = |text: &str| println!("{:>6.1} s  {text}", started.elapsed().as_secs_f64());
    println!("matrix-push demo: what reaches a phone, and what the SDK decides\n");

    // Two users: Alice carries the phone, Bob writes to her.
    let (alice_id, alice_password) = hs.register("alice", false).await;
    let (bob_id, bob_password) = hs.register("bob", false).await;
    // The phone's device has the SDK's built-in end-to-end encryption.
    let phone = Arc::new(
        signed_in_client(
            &hs,
            &alice_id,
            &alice_password,
            store.join("phone"),
            "Alice's phone",
            true,
        )
        .await?,
    );
    devices.push(phone.clone());
    let bob = sign_in(&hs, &bob_id, &bob_password, store.join("bob"), "Bob's laptop").await?;
    devices.push(bob.clone());
    for (client, user_id, name) in [(&phone, &alice_id, "Alice"), (&bob, &bob_id, "Bob")] {
        set_display_name(client, user_id, name)
            .await
            .map_err(|e| format!("setting {user_id}'s display name: {e}"))?;
    }
    say(&format!(
        "homeserver {} · Alice {alice_id} signed in through the SDK (the phone) · Bob {bob_id}",
        hs.url
    ));

    // Rooms, before the pusher exists so that setting up pushes nothing.
    let dm = create_room(
        &bob,
        json!({"invite": [alice_id], "is_direct": true, "preset": "trusted_private_chat"}),
    )
    .await;
    let group = create_room(
        &bob,
        json!({"invite": [alice_id], "name": "Project Falcon", "preset": "private_chat"}),
    )
    .await;
    let quiet = create_room(
        &bob,
        json!({"invite": [alice_id], "name": "Random", "preset": "private_chat"}),
    )
    .await;
    for room in [&dm, &group, &quiet] {
        join(&phone, room).await;
    }
    phone
        .set_room_mode(
            &matrix_push_tests::room_id(&quiet),
            RoomNotificationMode::MentionsAndKeywordsOnly,
        )
        .await
        .map_err(|e| format!("muting Random: {e}"))?;
    phone
        .add_keyword("falcon")
        .await
        .map_err(|e| format!("adding the keyword: {e}"))?;
    say(
        "rooms: a DM with Bob, \"Project Falcon\", \"Random\" (set to mentions & keywords only); keyword \"falcon\"",
    );

    let gateway = Gateway::start()
        .await
        .map_err(|e| format!("starting the push gateway: {e}"))?;
    let (app_id, provider_name) = match provider {
        DeviceProvider::Apns => ("io.matrixpush.sample.apns", "APNs"),
        DeviceProvider::Fcm => ("io.matrixpush.sample.fcm", "FCM v1"),
        DeviceProvider::UnifiedPush => ("io.matrixpush.sample.up", "UnifiedPush"),
    };
    let pushkey = unique("demo-token");
    let mut pusher = Pusher::new(&pushkey, app_id, gateway.url());
    pusher.app_display_name = "matrix-push demo".into();
    pusher.device_display_name = "Alice's phone".into();
    phone
        .ensure_pusher(&pusher)
        .await
        .map_err(|e| format!("registering the pusher: {e}"))?;
    say(&format!(
        "pusher registered: app {app_id}, format event_id_only, gateway {} ({provider_name} payloads)\n",
        gateway.url()
    ));

    let plans = create_room(&bob, json!({"name": "Weekend plans", "preset": "private_chat"})).await;
    let names = {
        let (dm, group, quiet, plans) = (dm.clone(), group.clone(), quiet.clone(), plans.clone());
        move |id: &str| -> String {
            let replaced = id
                .replace(&dm, "the DM")
                .replace(&group, "Project Falcon")
                .replace(&quiet, "Random")
                .replace(&plans, "Weekend plans");
            match replaced.as_str() {
                "rule Random" => "room rule of Random".into(),
                _ => replaced,
            }
        }
    };
    let mut demo = Demo {
        gateway,
        phone: phone.clone(),
        pushkey,
        provider,
        results: Vec::new(),
        started,
    };
    let show = |kind, rule: &str, sound, highlight| Expect::Show {
        kind,
        rule: rule.to_owned(),
        sound,
        highlight,
    };
    let silent = |reason: &str| Expect::NoPush {
        reason: reason.to_owned(),
    };
    let text = |body: &str| json!({"msgtype": "m.text", "body": body});
    let mention =
        |body: &str| json!({"msgtype": "m.text", "body": body, "m.mentions": {"user_ids": [alice_id]}});
    // The last event read per room, for the read receipts at the end.
    let mut last_event = HashMap::new();

    let hello = demo
        .send(
            &bob,
            Scripted::new(
                "Bob sends a direct message",
                &dm,
                "m.room.message",
                text("Are we still on for lunch today?"),
                show("message", ".m.rule.room_one_to_one", Some("default"), false),
            ),
            &mut last_event,
            &names,
        )
        .await;
    let script = [
        Scripted::new(
            "Bob mentions Alice in Project Falcon",
            &group,
            "m.room.message",
            mention("Alice, can you review the launch plan?"),
            show("message", ".m.rule.is_user_mention", Some("default"), true),
        ),
        Scripted::new(
            "Bob writes the keyword \"falcon\" in Project Falcon",
            &group,
            "m.room.message",
            text("The falcon build is green"),
            show("message", "falcon", Some("default"), false),
        ),
        Scripted::new(
            "Bob writes in Random (mentions & keywords only)",
            &quiet,
            "m.room.message",
            text("Anyone up for coffee?"),
            silent(&quiet),
        ),
        Scripted::new(
            "Bob mentions Alice in Random",
            &quiet,
            "m.room.message",
            mention("Alice, coffee?"),
            show("message", ".m.rule.is_user_mention", Some("default"), true),
        ),
        Scripted::new(
            "Bob edits his direct message",
            &dm,
            "m.room.message",
            json!({
                "msgtype": "m.text", "body": "* Are we still on for lunch tomorrow?",
                "m.new_content": {"msgtype": "m.text", "body": "Are we still on for lunch tomorrow?"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": hello}}),
            silent("edit"),
        ),
        Scripted::new(
            "Bob reacts 👍 in the DM",
            &dm,
            "m.reaction",
            json!({
                "m.relates_to": {"rel_type": "m.annotation", "event_id": hello, "key": "👍"}}),
            silent(".m.rule.reaction"),
        ),
    ];
    for scripted in script {
        demo.send(&bob, scripted, &mut last_event, &names).await;
    }

    // An invite: its push is about the room (the invite's event id is not returned).
    let sent = Instant::now();
    let invite_url = bob.session_client().url_of(&["rooms", &plans, "invite"]);
    bob.session_client()
        .send_request(Request::new(Method::Post, invite_url).json(json!({"user_id": alice_id})))
        .await
        .map_err(|e| format!("inviting Alice: {e}"))?;
    let plans_id = plans.clone();
    demo.step(
        "Bob invites Alice to \"Weekend plans\"".into(),
        sent,
        move |d| d.payload["room_id"] == json!(plans_id),
        None,
        show("invite", ".m.rule.invite_for_me", Some("default"), false),
        &names,
    )
    .await;

    let script = [Scripted::new(
        "Bob calls Alice",
        &dm,
        "m.call.invite",
        json!({
                "call_id": unique("call"), "party_id": "bob", "version": "1", "lifetime": 60000,
                "offer": {"type": "offer", "sdp": "v=0\r\n"}}),
        show("call", ".m.rule.call", Some("ring"), false),
    )];
    for scripted in script {
        demo.send(&bob, scripted, &mut last_event, &names).await;
    }

    // Bob's phone is a real crypto client: real Megolm ciphertext, its room key sent to Alice's
    // phone by to-device. The homeserver sees only `m.room.encrypted`; the phone decrypts it
    // within the push and decides on the cleartext — here, the keyword the server cannot see.
    let bob_phone = signed_in_client(
        &hs,
        &bob_id,
        &bob_password,
        store.join("bob-phone"),
        "Bob's phone",
        false,
    )
    .await?;
    let bob_phone = CryptoDevice::new(bob_phone).await;
    let sent = Instant::now();
    let encrypted_id = bob_phone
        .send_encrypted(
            &dm,
            &[&alice_id, &bob_id],
            "Falcon lands at dawn (end-to-end encrypted)",
            CollectStrategy::AllDevices,
        )
        .await;
    last_event.insert(dm.clone(), encrypted_id.clone());
    demo.step(
        "Bob sends an end-to-end encrypted message with the keyword".into(),
        sent,
        move |d| d.payload["event_id"] == json!(encrypted_id),
        None,
        show("message", "falcon", Some("default"), false),
        &names,
    )
    .await;

    // 11. Alice reads everything on her laptop: badge-only pushes follow.
    let laptop = sign_in(
        &hs,
        &alice_id,
        &alice_password,
        store.join("laptop"),
        "Alice's laptop",
    )
    .await?;
    devices.push(laptop.clone());
    let sent = Instant::now();
    laptop
        .session_client()
        .send_request(
            Request::new(
                Method::Post,
                laptop.session_client().url_of(&["rooms", &plans, "leave"]),
            )
            .json(json!({})),
        )
        .await
        .map_err(|e| format!("declining the invite: {e}"))?;
    let mut rooms: Vec<(&String, &String)> = last_event.iter().collect();
    rooms.sort();
    for (room, event) in rooms {
        let url = laptop
            .session_client()
            .url_of(&["rooms", room, "receipt", "m.read", event]);
        laptop
            .session_client()
            .send_request(Request::new(Method::Post, url).json(json!({})))
            .await
            .map_err(|e| format!("sending a read receipt: {e}"))?;
    }
    demo.badge_step(sent, vec![dm.clone(), group.clone(), quiet.clone()], &names)
        .await;

    print_summary(&demo.results);
    Ok(std::mem::take(&mut demo.results))
}

impl Demo {
    /// The last step: every badge-only push that arrives after the reads, handled in order. With
    /// APNs the last one sets the badge to 0, and together they clear every room notified before.
    /// With FCM, Sygnal sends nothing for a count of 0 (the app learns it on its next sync).
    async fn badge_step(&mut self, sent: Instant, read: Vec<String>, names: &dyn Fn(&str) -> String) {
        let label = "Alice declines the invite and reads everything on her laptop".to_owned();
        let mut result = self.begin(label);
        let mut cleared = std::collections::BTreeSet::new();
        let mut badges = Vec::new();
        let mut all_badges = true;
        // Synapse sends one badge push per change: wait as long as for any push for the first,
        // then until they stop coming (with APNs, a badge of 0 is the last).
        loop {
            let window = match (badges.last(), self.provider) {
                (None, _) => PUSH_TIMEOUT,
                (Some(0), DeviceProvider::Apns) => break,
                _ => SILENT_WINDOW,
            };
            let Some(delivery) = self.wait_push(window, |_| true).await else {
                break;
            };
            let push_ms = ms(delivery.received_at.saturating_duration_since(sent));
            result.push_ms.get_or_insert(push_ms);
            println!(
                "           push    after {push_ms:.0} ms: {}",
                describe_payload(&delivery)
            );
            let Ok(payload) = delivery.decode() else {
                println!("           SDK     cannot decode the payload ✗");
                all_badges = false;
                continue;
            };
            let (outcome, took, requests) = self.handle(&payload).await;
            result.handle_ms = Some(ms(took));
            result.requests = Some(requests);
            match outcome {
                Outcome::BadgeUpdate { unread, read_rooms } => {
                    let rooms: Vec<String> = read_rooms.iter().map(|r| names(r)).collect();
                    println!(
                        "           SDK     BADGE {unread}{}   [{:.1} ms, {requests} request{}]",
                        if rooms.is_empty() {
                            String::new()
                        } else {
                            format!(" · clear the notifications of {}", rooms.join(", "))
                        },
                        ms(took),
                        if requests == 1 { "" } else { "s" },
                    );
                    badges.push(unread);
                    cleared.extend(read_rooms);
                }
                other => {
                    println!("           SDK     unexpected: {other:?} ✗");
                    all_badges = false;
                }
            }
        }
        let every_room_cleared = read
            .iter()
            .all(|room| cleared.iter().any(|cleared| cleared == room));
        let (ok, verdict) = match self.provider {
            // UnifiedPush hands on every request, badge 0 included, as APNs does.
            DeviceProvider::Apns | DeviceProvider::UnifiedPush => (
                all_badges && badges.last() == Some(&0) && every_room_cleared,
                "badge 0, every notified room cleared",
            ),
            DeviceProvider::Fcm => (
                all_badges && !badges.contains(&0),
                "FCM gets no push for a badge of 0: the app clears the rest on its next sync",
            ),
        };
        println!(
            "           result  {verdict} {}",
            if ok { "✓" } else { "✗ expected something else" }
        );
        result.ok = ok;
        result.decision = format!(
            "badges {:?}; cleared {}",
            badges,
            cleared.iter().map(|r| names(r)).collect::<Vec<_>>().join(", ")
        );
        self.results.push(result);
    }
}

fn print_summary(results: &[StepResult]) {
    let passed = results.iter().filter(|r| r.ok).count();
    let mut push: Vec<f64> = results.iter().filter_map(|r| r.push_ms).collect();
    let mut handle: Vec<f64> = results.iter().filter_map(|r| r.handle_ms).collect();
    let median = |values: &mut Vec<f64>| {
        values.sort_by(|a, b| a.total_cmp(b));
        values.get(values.len() / 2).copied().unwrap_or_default()
    };
    let max = |values: &[f64]| values.iter().copied().fold(0.0, f64::max);
    println!(
        "\n{passed}/{} steps decided as expected · push delivery median {:.0} ms (max {:.0}) · SDK handling median {:.1} ms (max {:.1})",
        results.len(),
        median(&mut push),
        max(&push),
        median(&mut handle),
        max(&handle),
    );
}
