//! The captured pushes (`fixtures/payloads/`, Synapse 1.163.2 → Sygnal 0.17.0 → stand-ins for FCM
//! and APNs): what each provider handed the device decodes to what Synapse sent, and so does the
//! Push Gateway body Synapse POSTed. And the `matrix-push decode` command line on them.

use matrix_push::payload::{AccountRoute, Priority, Provider, PushPayload, decode, decode_string_map, route};
use matrix_push_tests::{cli_binary, fixtures_dir, temp_dir};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::process::{Command, Stdio};

struct Fixture {
    name: String,
    value: Value,
}

impl Fixture {
    /// The Push Gateway notification Synapse sent (`None` when it sent nothing).
    fn notification(&self) -> Option<&Map<String, Value>> {
        self.value["synapse_notify"]["notification"].as_object()
    }

    fn provider(&self) -> &str {
        self.value["provider"].as_str().unwrap_or_default()
    }

    fn format(&self) -> &str {
        self.value["format"].as_str().unwrap_or_default()
    }

    /// The pusher's `data.default_payload` as an object (empty when it has none).
    fn default_payload(&self) -> Map<String, Value> {
        self.value["pusher"]["data"]["default_payload"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }
}

fn fixtures() -> Vec<Fixture> {
    let dir = fixtures_dir().join("payloads");
    let mut found: Vec<Fixture> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            Fixture {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                value: serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            }
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        found.len(),
        155,
        "the fixture set changed: update the counts in this file"
    );
    found
}

/// A text field of the notification: absent, null and "" are all "not given".
fn text<'a>(n: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    n.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn count(n: &Map<String, Value>, key: &str) -> Option<u64> {
    n.get("counts").and_then(|c| c.get(key)).and_then(Value::as_u64)
}

fn wire_priority(n: &Map<String, Value>) -> Option<Priority> {
    match text(n, "prio") {
        Some("high") => Some(Priority::High),
        Some("low") => Some(Priority::Low),
        None => None,
        Some(other) => panic!("Synapse sent prio {other:?}"),
    }
}

/// `decoded` is `original`, or the start of it as a provider truncated it: FCM v1 cuts at 1024
/// bytes and appends "…", APNs trims the longest alert argument without a mark.
fn same_or_truncated(name: &str, decoded: Option<&str>, original: Option<&str>, provider: Provider) {
    match (decoded, original) {
        (Some(decoded), Some(original)) if decoded != original => {
            let kept = match provider {
                Provider::Fcm => {
                    assert!(
                        decoded.len() <= 1024,
                        "{name}: FCM v1 strings are at most 1024 bytes"
                    );
                    decoded
                        .strip_suffix('…')
                        .unwrap_or_else(|| panic!("{name}: a cut FCM v1 string ends in …"))
                }
                Provider::Apns => decoded,
                _ => panic!("{name}: {provider:?} does not truncate, yet {decoded:?} != {original:?}"),
            };
            assert!(
                original.starts_with(kept),
                "{name}: {decoded:?} is not the start of {original:?}"
            );
        }
        (decoded, original) => assert_eq!(decoded, original, "{name}"),
    }
}

/// The ids and counts agree with the notification Synapse sent. What counts arrive depends on the
/// route: Sygnal leaves zero counts out of FCM pushes; APNs full format folds missed calls into
/// `aps.badge`; APNs event_id_only and the Gateway body carry both as they are.
fn assert_ids_and_counts(
    name: &str,
    decoded: &PushPayload,
    n: &Map<String, Value>,
    provider: Provider,
    format: &str,
) {
    assert_eq!(
        decoded.event_id.as_deref(),
        text(n, "event_id"),
        "{name}: event_id"
    );
    assert_eq!(
        decoded.badge_only,
        text(n, "event_id").is_none(),
        "{name}: badge_only"
    );
    assert_eq!(decoded.room_id.as_deref(), text(n, "room_id"), "{name}: room_id");
    let (unread, missed) = (count(n, "unread"), count(n, "missed_calls"));
    let non_zero = |c: Option<u64>| c.filter(|&c| c > 0);
    let (want_unread, want_missed) = match (provider, format) {
        (Provider::Fcm | Provider::FcmLegacy, _) => (non_zero(unread), non_zero(missed)),
        (Provider::Apns, "full") => {
            let badge = match (unread, missed) {
                (None, None) => None,
                (u, m) => Some(u.unwrap_or(0) + m.unwrap_or(0)),
            };
            (badge, None)
        }
        _ => (unread, missed),
    };
    assert_eq!(decoded.unread, want_unread, "{name}: unread");
    assert_eq!(decoded.missed_calls, want_missed, "{name}: missed_calls");
    assert_eq!(decoded.provider, Some(provider), "{name}");
}

/// The details a full-format push carries.
fn assert_full_details(name: &str, decoded: &PushPayload, n: &Map<String, Value>, provider: Provider) {
    let original_body = n
        .get("content")
        .and_then(|c| c.get("body"))
        .and_then(Value::as_str);
    match provider {
        Provider::Fcm | Provider::FcmLegacy => {
            assert_eq!(decoded.event_type.as_deref(), text(n, "type"), "{name}: type");
            assert_eq!(decoded.sender.as_deref(), text(n, "sender"), "{name}: sender");
            assert_eq!(
                decoded.sender_display_name.as_deref(),
                text(n, "sender_display_name"),
                "{name}"
            );
            assert_eq!(
                decoded.room_name.as_deref(),
                text(n, "room_name"),
                "{name}: room_name"
            );
            assert_eq!(
                decoded.membership.as_deref(),
                text(n, "membership"),
                "{name}: membership"
            );
            same_or_truncated(name, decoded.body.as_deref(), original_body, provider);
            let content = n["content"].as_object().unwrap();
            let got = decoded.content.as_ref().and_then(Value::as_object).unwrap();
            if provider == Provider::FcmLegacy {
                assert_eq!(got, content, "{name}: legacy FCM keeps the content whole");
            } else {
                // v1 keeps only the string fields, each possibly truncated.
                let strings: Vec<&String> = content
                    .iter()
                    .filter(|(_, v)| v.is_string())
                    .map(|(k, _)| k)
                    .collect();
                assert_eq!(got.keys().collect::<Vec<_>>(), strings, "{name}: content keys");
                for (key, value) in got {
                    same_or_truncated(name, value.as_str(), content[key].as_str(), provider);
                }
            }
        }
        Provider::Apns => {
            // Everything comes from the alert's loc-args; the room argument is the room name.
            let kind = text(n, "type");
            assert_eq!(
                decoded.sender_display_name.as_deref(),
                text(n, "sender_display_name"),
                "{name}"
            );
            assert_eq!(
                decoded.room_name.as_deref(),
                text(n, "room_name"),
                "{name}: room_name"
            );
            assert_eq!(
                decoded.sender, None,
                "{name}: APNs does not carry the sender's ID"
            );
            assert_eq!(decoded.content, None, "{name}");
            match kind {
                Some("m.room.message") => {
                    same_or_truncated(name, decoded.body.as_deref(), original_body, provider);
                    assert_eq!(
                        decoded.event_type, None,
                        "{name}: a message loc-key does not tell the type"
                    );
                }
                Some("m.room.encrypted") => assert_eq!(decoded.body, None, "{name}"),
                Some("m.call.invite") => assert_eq!(decoded.event_type.as_deref(), kind, "{name}"),
                Some("m.room.member") => {
                    assert_eq!(decoded.event_type.as_deref(), kind, "{name}");
                    assert_eq!(decoded.membership.as_deref(), Some("invite"), "{name}");
                    assert_eq!(decoded.user_is_target, Some(true), "{name}");
                }
                other => panic!("{name}: no expectation for type {other:?}"),
            }
        }
        _ => unreachable!(),
    }
}

/// As Android's `RemoteMessage.getData()` hands the data map over: every value a string.
fn as_string_map(data: &Map<String, Value>) -> HashMap<String, String> {
    data.iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
        .collect()
}

#[test]
fn device_payloads_decode_to_what_synapse_sent() {
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    let (mut skipped_none, mut skipped_dropped, mut with_secret) = (0, 0, 0);
    for fixture in fixtures() {
        let name = fixture.name.as_str();
        let device_payload = &fixture.value["device_payload"];
        if device_payload.is_null() {
            // Nothing reached the device, so there is nothing to decode here.
            assert_eq!(fixture.value["delivered"], false, "{name}");
            if name.starts_with("none-") {
                // Synapse did not push at all (edit, notice, reaction, muted room, partial receipt).
                assert!(fixture.notification().is_none(), "{name}");
                skipped_none += 1;
            } else if name.starts_with("dropped-") {
                // Sygnal discards a badge reset (unread 0) for FCM: Android never hears of it.
                let n = fixture.notification().unwrap();
                assert!(
                    text(n, "event_id").is_none() && count(n, "unread") == Some(0),
                    "{name}"
                );
                assert!(fixture.provider().starts_with("fcm"), "{name}");
                skipped_dropped += 1;
            } else {
                panic!("{name}: no device payload, and not a none-/dropped- fixture");
            }
            continue;
        }
        let (provider, format) = (fixture.provider(), fixture.format());
        assert!(
            name.starts_with(&format!("{provider}-{format}-")),
            "{name}: provider {provider}, format {format}"
        );
        let (kind, input) = match provider {
            "fcm_v1" => (Provider::Fcm, &device_payload["data"]),
            "fcm_legacy" => (Provider::FcmLegacy, &device_payload["data"]),
            "apns" => (Provider::Apns, &device_payload["payload"]),
            other => panic!("{name}: unexpected provider {other}"),
        };
        let decoded = decode(kind, input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let n = fixture.notification().unwrap();
        assert_ids_and_counts(name, &decoded, n, kind, format);

        if kind != Provider::Apns {
            let prio = wire_priority(n).unwrap_or(Priority::High); // Sygnal's default for badge pushes
            assert_eq!(decoded.prio, Some(prio), "{name}: prio");
            // What Kotlin hands over decodes the same.
            let map = as_string_map(input.as_object().unwrap());
            assert_eq!(
                decode_string_map(kind, &map).as_ref(),
                Ok(&decoded),
                "{name}: string map"
            );
        } else {
            assert_eq!(decoded.prio, None, "{name}: APNs priority is a header");
        }
        if format == "full" && !decoded.badge_only {
            assert_full_details(name, &decoded, n, kind);
        }
        // The pusher's default_payload arrives as extra keys (APNs's `aps` is the envelope).
        let mut expected_extra = fixture.default_payload();
        expected_extra.remove("aps");
        assert_eq!(decoded.extra, expected_extra, "{name}: extra");
        if let Some(secret) = fixture.default_payload().get("cs") {
            assert_eq!(decoded.extra.get("cs"), Some(secret), "{name}: cs");
            with_secret += 1;
        }
        *checked.entry(format!("{provider}-{format}")).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("apns-event_id_only", 25),
        ("apns-full", 25),
        ("fcm_legacy-event_id_only", 24),
        ("fcm_legacy-full", 24),
        ("fcm_v1-event_id_only", 24),
        ("fcm_v1-full", 24),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(checked, expected);
    assert_eq!(checked.values().sum::<usize>(), 146);
    assert_eq!((skipped_none, skipped_dropped), (5, 4));
    assert_eq!(
        with_secret, 24,
        "the FCM v1 event_id_only pusher has a cs in its default_payload"
    );
}

#[test]
fn gateway_bodies_decode_to_what_synapse_sent() {
    let mut checked = 0;
    let mut with_secret = 0;
    for fixture in fixtures() {
        let name = fixture.name.as_str();
        let Some(n) = fixture.notification() else {
            assert!(
                name.starts_with("none-"),
                "{name}: only none- fixtures lack a Synapse notify"
            );
            continue;
        };
        let body = &fixture.value["synapse_notify"];
        let decoded = decode(Provider::Gateway, body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_ids_and_counts(name, &decoded, n, Provider::Gateway, "");
        assert_eq!(decoded.prio, wire_priority(n), "{name}: prio");
        assert_eq!(decoded.event_type.as_deref(), text(n, "type"), "{name}: type");
        assert_eq!(decoded.sender.as_deref(), text(n, "sender"), "{name}: sender");
        assert_eq!(
            decoded.sender_display_name.as_deref(),
            text(n, "sender_display_name"),
            "{name}"
        );
        assert_eq!(
            decoded.room_name.as_deref(),
            text(n, "room_name"),
            "{name}: room_name"
        );
        assert_eq!(decoded.membership.as_deref(), text(n, "membership"), "{name}");
        assert_eq!(
            decoded.user_is_target,
            n.get("user_is_target").and_then(Value::as_bool),
            "{name}"
        );
        assert_eq!(decoded.content.as_ref(), n.get("content"), "{name}: content");
        let body_text = n
            .get("content")
            .and_then(|c| c.get("body"))
            .and_then(Value::as_str);
        assert_eq!(decoded.body.as_deref(), body_text, "{name}: body");

        let device = &n["devices"][0];
        assert_eq!(decoded.extra.get("pushkey"), device.get("pushkey"), "{name}");
        assert_eq!(decoded.extra.get("app_id"), device.get("app_id"), "{name}");
        assert_eq!(decoded.extra.get("tweaks"), device.get("tweaks"), "{name}");
        if let Some(secret) = device["data"]["default_payload"].get("cs") {
            assert_eq!(decoded.extra.get("cs"), Some(secret), "{name}: cs");
            with_secret += 1;
        }
        assert!(!decoded.extra.contains_key("aps"), "{name}");

        // UnifiedPush: the same body, or the bare notification, decodes alike.
        let mut expected = decoded.clone();
        expected.provider = Some(Provider::UnifiedPush);
        for input in [body.clone(), Value::Object(n.clone())] {
            assert_eq!(
                decode(Provider::UnifiedPush, &input).as_ref(),
                Ok(&expected),
                "{name}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 150, "146 delivered + 4 dropped by Sygnal");
    assert_eq!(
        with_secret, 25,
        "24 delivered + 1 dropped FCM v1 event_id_only pushes"
    );
}

#[test]
fn pushes_are_routed_to_their_pusher() {
    // One route per pusher of the capture, as an app with all six would set them up.
    let mut routes: Vec<AccountRoute> = Vec::new();
    let all = fixtures();
    for fixture in &all {
        let pusher = &fixture.value["pusher"];
        let Some(app_id) = pusher["app_id"].as_str() else {
            continue;
        };
        if routes.iter().all(|r| r.app_id.as_deref() != Some(app_id)) {
            routes.push(AccountRoute {
                account: app_id.to_owned(),
                secret: pusher["data"]["default_payload"]["cs"]
                    .as_str()
                    .map(str::to_owned),
                app_id: Some(app_id.to_owned()),
                pushkey: pusher["pushkey"].as_str().map(str::to_owned),
            });
        }
    }
    assert_eq!(routes.len(), 6);
    let (mut by_gateway, mut by_secret) = (0, 0);
    for fixture in &all {
        let Some(app_id) = fixture.value["pusher"]["app_id"].as_str() else {
            continue;
        };
        let gateway = decode(Provider::Gateway, &fixture.value["synapse_notify"]).unwrap();
        let picked = route(&gateway, &routes).map(|r| r.account.as_str());
        assert_eq!(picked, Some(app_id), "{}: by pushkey", fixture.name);
        by_gateway += 1;
        if fixture.value["device_payload"]["data"].get("cs").is_some() {
            let device = decode(Provider::Fcm, &fixture.value["device_payload"]["data"]).unwrap();
            assert_eq!(
                route(&device, &routes).map(|r| r.account.as_str()),
                Some(app_id),
                "{}",
                fixture.name
            );
            by_secret += 1;
        }
    }
    assert_eq!((by_gateway, by_secret), (150, 24));
}

/// Runs `matrix-push decode` with `args`, feeding `stdin`; returns (exit code, stdout, stderr).
fn run_decode(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let binary = cli_binary();
    assert!(
        binary.is_file(),
        "{} is missing: run `cargo build` first",
        binary.display()
    );
    let mut child = Command::new(&binary)
        .arg("decode")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may reject its arguments and exit before reading: a closed pipe is fine.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn fixture_named(name: &str) -> Value {
    let path = fixtures_dir().join("payloads").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const CLI_KEYS: [&str; 12] = [
    "event_id",
    "room_id",
    "unread",
    "missed_calls",
    "prio",
    "badge_only",
    "type",
    "sender",
    "sender_display_name",
    "room_name",
    "body",
    "extra",
];

fn parse_one_object(stdout: &str) -> Map<String, Value> {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line out: {stdout:?}");
    let object = serde_json::from_str::<Value>(lines[0])
        .unwrap()
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(object.keys().map(String::as_str).collect::<Vec<_>>(), CLI_KEYS);
    object
}

#[test]
fn cli_decodes_fixtures_from_stdin_and_files() {
    let fixture = fixture_named("fcm_v1-full-01b-plain-dm-named.json");
    let data = fixture["device_payload"]["data"].to_string();
    let (code, stdout, stderr) = run_decode(&["--provider", "fcm"], data.as_bytes());
    assert_eq!(code, 0, "{stderr}");
    let n = &fixture["synapse_notify"]["notification"];
    assert_eq!(
        Value::Object(parse_one_object(&stdout)),
        json!({
            "event_id": n["event_id"], "room_id": n["room_id"], "unread": 6, "missed_calls": null,
            "prio": "high", "badge_only": false, "type": "m.room.message", "sender": "@alice:localhost",
            "sender_display_name": "Alice Liddell", "room_name": "Alice & Bob 🏠",
            "body": "Plain text in a named 2-person room.", "extra": {}
        })
    );

    let fixture = fixture_named("fcm_v1-event_id_only-14b-badge-receipt-1-dm.json");
    let data = fixture["device_payload"]["data"].to_string();
    let (code, stdout, _) = run_decode(&["--provider", "fcm", "-"], data.as_bytes());
    assert_eq!(code, 0);
    let out = parse_one_object(&stdout);
    assert_eq!(
        (&out["badge_only"], &out["unread"], &out["event_id"]),
        (&json!(true), &json!(7), &Value::Null)
    );
    assert_eq!((&out["sender"], &out["prio"]), (&Value::Null, &json!("high")));
    assert_eq!(out["extra"], json!({"cs": "secret-123"}));

    // From a file: APNs full (names and body come from loc-args) and a Gateway body.
    let dir = temp_dir("payload-cli");
    let fixture = fixture_named("apns-full-05-emote.json");
    let path = dir.join("apns.json");
    std::fs::write(&path, fixture["device_payload"]["payload"].to_string()).unwrap();
    let (code, stdout, stderr) = run_decode(&["--provider", "apns", path.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{stderr}");
    let out = parse_one_object(&stdout);
    assert_eq!(out["sender_display_name"], "Alice Liddell");
    assert_eq!(out["body"], "waves hello 👋");
    assert_eq!(
        (&out["unread"], &out["prio"], &out["type"]),
        (&json!(6), &Value::Null, &Value::Null)
    );

    let fixture = fixture_named("fcm_v1-event_id_only-01-plain-dm.json");
    let path = dir.join("gateway.json");
    std::fs::write(&path, fixture["synapse_notify"].to_string()).unwrap();
    let (code, stdout, stderr) = run_decode(&["--provider=gateway", path.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{stderr}");
    let out = parse_one_object(&stdout);
    assert_eq!(
        out["event_id"],
        fixture["synapse_notify"]["notification"]["event_id"]
    );
    assert_eq!(out["extra"]["cs"], "secret-123");
    assert_eq!(out["extra"]["pushkey"], "fcm-v1-eio-token-bob");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cli_rejects_unusable_input_with_exit_code_2() {
    let cases: [(&str, &[u8]); 8] = [
        ("fcm", b"this is not json"),
        ("apns", b"\xff\xfe"),
        ("gateway", b""),
        ("apns", b"[1, 2]"),
        ("fcm-legacy", b"{}"),
        ("gateway", b"{\"event_id\": \"$e\"}"),
        ("unifiedpush", b"{\"sender\": \"@a:b\"}"),
        ("fcm", b"{\"event_id\": 5}"),
    ];
    for (provider, input) in cases {
        let (code, stdout, stderr) = run_decode(&["--provider", provider], input);
        let shown = String::from_utf8_lossy(input);
        assert_eq!(code, 2, "{provider} {shown:?}: {stdout}");
        assert!(stdout.is_empty(), "{provider} {shown:?}: {stdout}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "{provider} {shown:?}: one line, got {stderr:?}"
        );
        assert!(stderr.starts_with("matrix-push: "), "{stderr:?}");
    }
    let (code, _, stderr) = run_decode(&["--provider", "carrier-pigeon"], b"{}");
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown provider"), "{stderr}");
    let (code, _, _) = run_decode(&[], b"{}");
    assert_eq!(code, 2, "--provider is required");
}
