//! The project's push gateway (crate `matrix-push-gateway`): its conversion against every capture
//! of a real Sygnal delivery in `fixtures/payloads/`, the rules the captures do not cover, its HTTP
//! surface, and — against the real Synapse started by `scripts/synapse` — pushes for a message
//! reaching an FCM and an APNs "phone", none for a notice, and a rejected pushkey's pusher
//! removed by Synapse.

use matrix_push::Client;
use matrix_push::pushers::Pusher;
use matrix_push_tests::gateway::{
    APNS_MAX_PAYLOAD_BYTES, Conversion, Delivery, DeviceProvider, Gateway, apns_payload_bytes, convert,
    device_payload, truncate_fcm,
};
use matrix_push_tests::{Homeserver, create_room, fixtures_dir, join, send_event, unique};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Captures the conversion must reproduce: 24 + 24 FCM v1 and 25 + 25 APNs (event_id_only + full).
const EXPECTED_FCM_V1: usize = 48;
const EXPECTED_APNS: usize = 50;
/// Badge resets to 0 that Sygnal dropped for FCM (2 v1, 2 legacy).
const EXPECTED_DROPPED: usize = 4;

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The JSON text, keys in their order (`Value` equality ignores the order of object keys).
fn in_order(value: &Value) -> String {
    serde_json::to_string(value).unwrap()
}

/// The device of the fixture's pusher in what Synapse posted.
fn fixture_device<'a>(fixture: &'a Value, name: &str) -> &'a Value {
    let pusher = &fixture["pusher"];
    fixture["synapse_notify"]["notification"]["devices"]
        .as_array()
        .and_then(|devices| {
            devices
                .iter()
                .find(|d| d["app_id"] == pusher["app_id"] && d["pushkey"] == pusher["pushkey"])
        })
        .unwrap_or_else(|| panic!("{name}: no device of the pusher in synapse_notify"))
}

#[test]
fn conversion_matches_every_sygnal_capture() {
    let dir = fixtures_dir().join("payloads");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    let (mut fcm, mut apns, mut dropped) = (0, 0, 0);
    let mut mismatches = Vec::new();
    for name in &names {
        let fixture = read_json(&dir.join(name));
        let provider = match fixture["provider"].as_str() {
            Some("fcm_v1") => DeviceProvider::Fcm,
            Some("apns") => DeviceProvider::Apns,
            // Legacy FCM (nested content, integer counts) is not a shape this gateway hands out,
            // but its drop rule is the same one.
            Some("fcm_legacy") if name.starts_with("dropped-") => DeviceProvider::Fcm,
            _ => continue,
        };
        let notification = &fixture["synapse_notify"];
        let device = fixture_device(&fixture, name);
        let got = convert(provider, notification, device);
        if name.starts_with("dropped-") {
            assert!(fixture["device_payload"].is_null(), "{name}");
            dropped += 1;
            if got != Conversion::Nothing {
                mismatches.push(format!("{name}: expected nothing, got {got:?}"));
            }
            continue;
        }
        let expected = match provider {
            DeviceProvider::Fcm => {
                fcm += 1;
                &fixture["device_payload"]["data"]
            }
            DeviceProvider::Apns => {
                apns += 1;
                &fixture["device_payload"]["payload"]
            }
            DeviceProvider::UnifiedPush => unreachable!("the captures hold no UnifiedPush delivery"),
        };
        assert!(expected.is_object(), "{name}: no device payload");
        match got {
            // Key order too: serde_json keeps it (preserve_order), so the texts are compared.
            Conversion::Deliver(payload) if in_order(&payload) == in_order(expected) => {}
            other => mismatches.push(format!("{name}:\n  expected {expected}\n  got      {other:?}")),
        }
        if provider == DeviceProvider::Apns {
            // The size APNs limits, measured the way Sygnal sends it.
            assert_eq!(
                apns_payload_bytes(expected) as u64,
                fixture["device_payload"]["payload_bytes"].as_u64().unwrap(),
                "{name}"
            );
        }
        // By the app id's suffix, the same payload (fixture app ids carry a format suffix).
        let mut renamed = device.clone();
        let suffix = if provider == DeviceProvider::Fcm {
            "fcm"
        } else {
            "apns"
        };
        renamed["app_id"] = json!(format!("io.matrixpush.tests.{suffix}"));
        assert_eq!(
            device_payload(notification, &renamed),
            Some((provider, expected.clone())),
            "{name}"
        );
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(
        (fcm, apns, dropped),
        (EXPECTED_FCM_V1, EXPECTED_APNS, EXPECTED_DROPPED)
    );
}

#[test]
fn the_long_body_is_trimmed_to_the_apns_limit_and_cut_with_an_ellipsis_for_fcm() {
    let fixture = read_json(&fixtures_dir().join("payloads/apns-full-07-long-body.json"));
    let device = fixture_device(&fixture, "07");
    let payload = convert(DeviceProvider::Apns, &fixture["synapse_notify"], device)
        .payload()
        .unwrap();
    let bytes = apns_payload_bytes(&payload);
    assert!(
        bytes <= APNS_MAX_PAYLOAD_BYTES && bytes > APNS_MAX_PAYLOAD_BYTES - 4,
        "{bytes}"
    );
    let body = payload["aps"]["alert"]["loc-args"][1].as_str().unwrap();
    assert!(!body.ends_with('…'), "APNs adds no ellipsis");

    assert_eq!(truncate_fcm(&"a".repeat(1024)), "a".repeat(1024));
    let cut = truncate_fcm(&"a".repeat(1025));
    assert_eq!(cut, format!("{}…", "a".repeat(1021)));
    // 3-byte characters: 340 of them fit in 1021 bytes (1020), then "…".
    let cut = truncate_fcm(&"語".repeat(400));
    assert_eq!(cut, format!("{}…", "語".repeat(340)));
    assert_eq!(cut.len(), 1023);
}

fn device(app_id: &str, data: Value) -> Value {
    json!({"app_id": app_id, "pushkey": "key", "pushkey_ts": 1, "data": data})
}

fn message(content: Value) -> Value {
    json!({
        "event_id": "$e", "room_id": "!r", "type": "m.room.message", "sender": "@a:hs",
        "sender_display_name": "Alice", "prio": "high", "content": content, "counts": {"unread": 2},
    })
}

#[test]
fn rules_the_captures_do_not_cover() {
    let fcm = device("x.fcm", json!({}));
    let apns = device("x.apns", json!({}));

    // Badge-only pushes with count 0: nothing for FCM, the reset for APNs.
    let reset = json!({"id": "", "type": null, "sender": "", "counts": {"unread": 0}});
    assert_eq!(device_payload(&reset, &fcm), None);
    assert_eq!(
        device_payload(&reset, &apns),
        Some((DeviceProvider::Apns, json!({"aps": {"badge": 0}})))
    );
    // No counts at all: nothing for either.
    let empty = json!({"sender": ""});
    assert_eq!(convert(DeviceProvider::Apns, &empty, &apns), Conversion::Nothing);
    assert_eq!(convert(DeviceProvider::Fcm, &empty, &fcm), Conversion::Nothing);

    // event_id_only: zero counts are still given to APNs, missed_calls too; FCM only non-zero.
    let eio =
        json!({"event_id": "$e", "room_id": "!r", "prio": "low", "counts": {"unread": 0, "missed_calls": 1}});
    assert_eq!(
        device_payload(&eio, &apns).unwrap().1,
        json!({"room_id": "!r", "event_id": "$e", "unread_count": 0, "missed_calls": 1})
    );
    assert_eq!(
        device_payload(&eio, &fcm).unwrap().1,
        json!({"event_id": "$e", "room_id": "!r", "prio": "normal", "missed_calls": "1"})
    );

    // FCM v1: non-string content is dropped, non-string default_payload values cannot be sent.
    let odd = message(json!({"msgtype": "m.text", "body": "hi", "n": 1, "m.mentions": {}}));
    let data = device_payload(&odd, &fcm).unwrap().1;
    assert_eq!(data["content_body"], "hi");
    assert!(data.get("content_n").is_none() && data.get("content_m.mentions").is_none());
    assert!(data.as_object().unwrap().values().all(Value::is_string));
    let numeric = device("x.fcm", json!({"default_payload": {"n": 1}}));
    assert!(matches!(
        convert(DeviceProvider::Fcm, &odd, &numeric),
        Conversion::Fail(_)
    ));
    // A default_payload that is not an object: the pushkey is rejected.
    let broken = device("x.fcm", json!({"default_payload": "text"}));
    assert!(matches!(
        convert(DeviceProvider::Fcm, &odd, &broken),
        Conversion::Reject(_)
    ));

    // APNs full format: the loc-key rules.
    let alert = |notification: &Value| {
        let payload = device_payload(notification, &apns).unwrap().1;
        (
            payload["aps"]["alert"]["loc-key"].clone(),
            payload["aps"]["alert"]["loc-args"].clone(),
        )
    };
    let mut emote = message(json!({"msgtype": "m.emote", "body": "waves"}));
    emote["room_name"] = json!("Room");
    assert_eq!(
        alert(&emote),
        (
            json!("ACTION_FROM_USER_IN_ROOM"),
            json!(["Room", "Alice", "waves"])
        )
    );
    let mut image = message(json!({"msgtype": "m.image", "body": "cat.png"}));
    image["room_alias"] = json!("#cats:hs");
    assert_eq!(
        alert(&image),
        (
            json!("IMAGE_FROM_USER_IN_ROOM"),
            json!(["Alice", "cat.png", "#cats:hs"])
        )
    );
    let mut no_body = message(json!({"msgtype": "m.text"}));
    no_body["room_name"] = json!("Room");
    no_body["sender_display_name"] = json!(null);
    assert_eq!(
        alert(&no_body),
        (json!("MSG_FROM_USER_IN_ROOM"), json!(["@a:hs", "Room"]))
    );
    let mut video = message(json!({"offer": {"sdp": "v=0\r\nm=audio 9\r\nm=video 9\r\n"}}));
    video["type"] = json!("m.call.invite");
    assert_eq!(alert(&video), (json!("VIDEO_CALL_FROM_USER"), json!(["Alice"])));
    let mut sticker = message(json!({"body": "a sticker"}));
    sticker["type"] = json!("m.sticker");
    assert_eq!(alert(&sticker), (json!("MSG_FROM_USER"), json!(["Alice"])));

    // The base of a full push is default_payload, whose `aps` keys stay.
    let with_default = device(
        "x.apns",
        json!({"default_payload": {"aps": {"mutable-content": 1}, "k": "v"}}),
    );
    let plain = message(json!({"msgtype": "m.text", "body": "hi"}));
    assert_eq!(
        device_payload(&plain, &with_default).unwrap().1,
        json!({
            "aps": {"mutable-content": 1, "alert": {"loc-key": "MSG_FROM_USER_WITH_CONTENT", "loc-args": ["Alice", "hi"]}, "badge": 2},
            "k": "v", "room_id": "!r", "event_id": "$e",
        })
    );
    // …but not of a badge-only push.
    let badge = json!({"sender": "", "counts": {"unread": 3}});
    assert_eq!(
        device_payload(&badge, &with_default).unwrap().1,
        json!({"aps": {"badge": 3}})
    );

    // APNs trimming takes the longest argument first, one code point at a time.
    let mut long = message(json!({"msgtype": "m.text", "body": "b".repeat(3000)}));
    long["room_name"] = json!("r".repeat(2000));
    let payload = device_payload(&long, &apns).unwrap().1;
    assert_eq!(apns_payload_bytes(&payload), APNS_MAX_PAYLOAD_BYTES);
    let args = payload["aps"]["alert"]["loc-args"].as_array().unwrap();
    let (room, body) = (args[1].as_str().unwrap().len(), args[2].as_str().unwrap().len());
    assert!(
        room.abs_diff(body) <= 1,
        "both trimmed to about the same length: {room} {body}"
    );

    // Unknown app ids: no provider.
    assert_eq!(device_payload(&plain, &device("x.android", json!({}))), None);
}

/// One HTTP/1.1 exchange on a fresh connection: (status, body).
async fn http(gateway: &Gateway, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(gateway.addr()).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        gateway.addr(),
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

#[tokio::test]
async fn the_gateway_speaks_the_push_gateway_api() {
    let gateway = Gateway::start().await.unwrap();
    let url = url::Url::parse(&gateway.url()).unwrap();
    assert_eq!(url.host_str(), Some("127.0.0.1"));
    assert_eq!(url.path(), "/_matrix/push/v1/notify");
    let path = url.path();

    // A capture of what Synapse posted: the same device payload comes out.
    let fixture = read_json(&fixtures_dir().join("payloads/fcm_v1-full-01-plain-dm.json"));
    let mut body = fixture["synapse_notify"].clone();
    body["notification"]["devices"][0]["app_id"] = json!("io.matrixpush.tests.fcm");
    let (status, answer) = http(&gateway, "POST", path, &body.to_string()).await;
    assert_eq!((status, answer.as_str()), (200, r#"{"rejected":[]}"#));
    let delivery = gateway.next_delivery(Duration::from_secs(1)).await.unwrap();
    assert_eq!(delivery.provider, DeviceProvider::Fcm);
    assert_eq!(delivery.app_id, "io.matrixpush.tests.fcm");
    assert_eq!(delivery.pushkey, "fcm-v1-full-token-bob");
    assert_eq!(delivery.payload, fixture["device_payload"]["data"]);
    assert_eq!(delivery.notification, body["notification"]);

    // Two devices in one request; one pushkey in the reject set, one unknown app id.
    let notification = json!({"notification": {
        "event_id": "$e", "room_id": "!r", "prio": "high", "counts": {"unread": 1},
        "devices": [
            {"app_id": "a.apns", "pushkey": "apns-1", "data": {}},
            {"app_id": "a.fcm", "pushkey": "doomed", "data": {}},
            {"app_id": "a.web", "pushkey": "web-1", "data": {}},
            {"app_id": "a.fcm", "pushkey": "fcm-1", "data": {}},
        ],
    }});
    gateway.reject("doomed");
    let (status, answer) = http(&gateway, "POST", path, &notification.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap(),
        json!({"rejected": ["doomed", "web-1"]})
    );
    let fcm = gateway
        .next_delivery_for("fcm-1", Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(
        fcm.payload,
        json!({"event_id": "$e", "room_id": "!r", "prio": "high", "unread": "1"})
    );
    let apns = gateway.next_delivery(Duration::from_secs(1)).await.unwrap();
    assert_eq!(apns.pushkey, "apns-1");
    assert_eq!(
        apns.payload,
        json!({"room_id": "!r", "event_id": "$e", "unread_count": 1})
    );
    gateway
        .no_delivery_within(Duration::from_millis(100))
        .await
        .unwrap();
    gateway.accept("doomed");
    gateway.route_app_id("a.web", DeviceProvider::Apns);
    let (_, answer) = http(&gateway, "POST", path, &notification.to_string()).await;
    assert_eq!(answer, r#"{"rejected":[]}"#);
    assert_eq!(
        gateway
            .deliveries_for("web-1", 2, Duration::from_millis(300))
            .await
            .len(),
        1
    );
    assert_eq!(gateway.drain().len(), 3);

    // A badge reset: posted, answered, and given to APNs only.
    let reset = json!({"notification": {"id": "", "type": null, "sender": "", "counts": {"unread": 0},
        "devices": [{"app_id": "a.fcm", "pushkey": "fcm-1"}, {"app_id": "a.apns", "pushkey": "apns-1"}]}});
    assert_eq!(http(&gateway, "POST", path, &reset.to_string()).await.0, 200);
    let only = gateway.next_delivery(Duration::from_secs(1)).await.unwrap();
    assert_eq!(
        (only.pushkey.as_str(), &only.payload),
        ("apns-1", &json!({"aps": {"badge": 0}}))
    );
    gateway
        .no_delivery_within(Duration::from_millis(100))
        .await
        .unwrap();

    // What else the gateway answers.
    // GET on the notify path: 405, as Sygnal answers (clients probe gateways with it).
    assert_eq!(http(&gateway, "GET", path, "").await.0, 405);
    assert_eq!(http(&gateway, "GET", "/", "").await.0, 404);
    assert_eq!(
        http(&gateway, "POST", "/_matrix/push/v1/other", "{}").await.0,
        404
    );
    assert_eq!(http(&gateway, "POST", path, "not json").await.0, 400);
    assert_eq!(
        http(&gateway, "POST", path, r#"{"notification": {"devices": []}}"#)
            .await
            .0,
        400
    );
    let bad_counts =
        r#"{"notification": {"counts": {"unread": "1"}, "devices": [{"app_id": "a.fcm", "pushkey": "k"}]}}"#;
    assert_eq!(http(&gateway, "POST", path, bad_counts).await.0, 400);
    let numeric = r#"{"notification": {"event_id": "$e", "devices": [{"app_id": "a.fcm", "pushkey": "k", "data": {"default_payload": {"n": 1}}}]}}"#;
    assert_eq!(http(&gateway, "POST", path, numeric).await.0, 502);
    let statuses: Vec<u16> = gateway.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 400, 400, 400, 502]);
    assert!(gateway.pending().is_empty());
}

// ---- Live: Synapse → gateway ----

const WAIT: Duration = Duration::from_secs(15);

async fn send_message(client: &Client, room: &str, content: Value) -> (String, Instant) {
    let sent = Instant::now();
    (send_event(client, room, "m.room.message", content).await, sent)
}

async fn delivery_of(gateway: &Gateway, pushkey: &str, event_id: &str) -> Delivery {
    gateway
        .next_delivery_matching(WAIT, |d| {
            d.pushkey == pushkey && d.notification["event_id"] == event_id
        })
        .await
        .unwrap_or_else(|| panic!("no push of {event_id} to {pushkey} within {WAIT:?}"))
}

fn keys(payload: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = payload.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn synapse_pushes_a_message_to_fcm_and_apns_phones_and_not_a_notice() {
    let hs = Homeserver::main();
    let gateway = Gateway::start().await.unwrap();
    let (bob, bob_id, _) = hs.signed_in("gwbob").await;
    let (alice, alice_id, _) = hs.signed_in("gwalice").await;

    // Bob's phones: FCM and APNs, event_id_only (the default) and full; one pushkey rejected.
    let fcm_key = unique("fcm-eio");
    let apns_key = unique("apns-eio");
    let fcm_full_key = unique("fcm-full");
    let apns_full_key = unique("apns-full");
    let doomed_key = unique("fcm-doomed");
    let mut fcm = Pusher::new(&fcm_key, "io.matrixpush.tests.fcm", gateway.url());
    fcm.default_payload = Some(json!({"cs": "secret-123"}));
    let mut apns = Pusher::new(&apns_key, "io.matrixpush.tests.apns", gateway.url());
    let apns_default = json!({"aps": {"mutable-content": 1, "alert": {"loc-key": "Notification"}}});
    apns.default_payload = Some(apns_default.clone());
    let mut fcm_full = Pusher::new(&fcm_full_key, "io.matrixpush.tests.full.fcm", gateway.url());
    fcm_full.format = None;
    let mut apns_full = Pusher::new(&apns_full_key, "io.matrixpush.tests.full.apns", gateway.url());
    apns_full.format = None;
    let doomed = Pusher::new(&doomed_key, "io.matrixpush.tests.doomed.fcm", gateway.url());
    gateway.reject(&doomed_key);
    for pusher in [&fcm, &apns, &fcm_full, &apns_full, &doomed] {
        bob.set_pusher(pusher).await.unwrap();
    }

    // Alice opens a DM with Bob; the invite is pushed too (.m.rule.invite_for_me).
    let room = create_room(
        &alice,
        json!({"invite": [bob_id], "is_direct": true, "preset": "trusted_private_chat"}),
    )
    .await;
    let invite = gateway
        .next_delivery_matching(WAIT, |d| d.pushkey == apns_full_key)
        .await
        .expect("the invite is pushed");
    assert_eq!(invite.notification["type"], "m.room.member");
    assert_eq!(invite.payload["aps"]["alert"]["loc-key"], "USER_INVITE_TO_CHAT");
    assert_eq!(invite.payload["room_id"], room.as_str());
    join(&bob, &room).await;

    // A message: each phone gets its payload.
    let text = "Hello from the gateway test";
    let (event_id, sent) = send_message(&alice, &room, json!({"msgtype": "m.text", "body": text})).await;
    let send_rtt = sent.elapsed();

    let d = delivery_of(&gateway, &fcm_key, &event_id).await;
    assert_eq!(
        (d.provider, d.app_id.as_str()),
        (DeviceProvider::Fcm, "io.matrixpush.tests.fcm")
    );
    assert!(
        d.notification.get("type").is_none(),
        "event_id_only: {}",
        d.notification
    );
    assert_eq!(keys(&d.payload), ["cs", "event_id", "prio", "room_id", "unread"]);
    assert_eq!(d.payload["cs"], "secret-123");
    assert_eq!(d.payload["event_id"], event_id.as_str());
    assert_eq!(d.payload["room_id"], room.as_str());
    assert_eq!(
        d.payload["prio"], "high",
        "a 1:1 message sounds, so Synapse sends prio high"
    );
    assert!(d.payload["unread"].as_str().unwrap().parse::<u64>().unwrap() >= 1);
    let fcm_latency = d.received_at - sent;

    let d = delivery_of(&gateway, &apns_key, &event_id).await;
    assert_eq!(
        (d.provider, d.app_id.as_str()),
        (DeviceProvider::Apns, "io.matrixpush.tests.apns")
    );
    assert_eq!(keys(&d.payload), ["aps", "event_id", "room_id", "unread_count"]);
    assert_eq!(d.payload["aps"], apns_default["aps"]);
    assert_eq!(d.payload["event_id"], event_id.as_str());
    assert_eq!(d.payload["room_id"], room.as_str());
    assert!(d.payload["unread_count"].as_u64().unwrap() >= 1);
    let apns_latency = d.received_at - sent;

    let d = delivery_of(&gateway, &fcm_full_key, &event_id).await;
    assert_eq!(d.notification["type"], "m.room.message");
    assert_eq!(d.payload["type"], "m.room.message");
    assert_eq!(d.payload["sender"], alice_id.as_str());
    assert_eq!(d.payload["content_body"], text);
    assert_eq!(d.payload["content_msgtype"], "m.text");
    assert_eq!(d.payload["event_id"], event_id.as_str());
    assert!(d.payload.as_object().unwrap().values().all(Value::is_string));

    let d = delivery_of(&gateway, &apns_full_key, &event_id).await;
    let alert = &d.payload["aps"]["alert"];
    let loc_key = alert["loc-key"].as_str().unwrap();
    assert!(
        loc_key.starts_with("MSG_FROM_USER") && loc_key.ends_with("WITH_CONTENT"),
        "{alert}"
    );
    assert_eq!(alert["loc-args"].as_array().unwrap().last().unwrap(), text);
    assert!(d.payload["aps"]["badge"].as_u64().unwrap() >= 1);
    assert_eq!(d.payload["event_id"], event_id.as_str());
    eprintln!("send RTT {send_rtt:?}; send → gateway: FCM eio {fcm_latency:?}, APNs eio {apns_latency:?}");

    // The rejected pushkey got the invite's push only: Synapse removed its pusher.
    let deadline = Instant::now() + WAIT;
    loop {
        let pushers = bob.pushers().await.unwrap();
        let kept: Vec<&str> = pushers.iter().map(|p| p.pushkey.as_str()).collect();
        if !kept.contains(&doomed_key.as_str()) {
            assert_eq!(kept.len(), 4, "{kept:?}");
            break;
        }
        assert!(Instant::now() < deadline, "Synapse kept the rejected pusher");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        gateway
            .requests()
            .iter()
            .any(|r| r.rejected == [doomed_key.clone()])
    );

    // A notice does not notify (.m.rule.suppress_notices): no push at all.
    let stray = gateway.drain();
    assert!(
        stray
            .iter()
            .all(|d| d.pushkey == doomed_key || d.notification["event_id"] != event_id.as_str()),
        "nothing pushed twice: {stray:?}"
    );
    let (notice_id, _) = send_message(&alice, &room, json!({"msgtype": "m.notice", "body": "a bot"})).await;
    if let Err(delivery) = gateway.no_delivery_within(Duration::from_secs(2)).await {
        panic!("a notice ({notice_id}) was pushed: {delivery:?}");
    }
    // …while the next message still is, and is the next thing Bob's phones get.
    let (next_id, sent) = send_message(&alice, &room, json!({"msgtype": "m.text", "body": "again"})).await;
    let d = gateway
        .next_delivery(WAIT)
        .await
        .expect("the next message is pushed");
    assert_eq!(d.notification["event_id"], next_id.as_str());
    eprintln!("second message: send → gateway {:?}", d.received_at - sent);
    for key in [&fcm_key, &apns_key, &fcm_full_key, &apns_full_key] {
        if *key != d.pushkey {
            delivery_of(&gateway, key, &next_id).await;
        }
    }
    assert!(gateway.drain().is_empty(), "nothing else, the notice included");
}
