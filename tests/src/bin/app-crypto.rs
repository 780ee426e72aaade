//! "The app's own Matrix SDK" for the Kotlin and Swift suites of the app's-own-crypto mode
//! (`Client.forAppSession`), which have no crypto client of their own: registers a new user on
//! the main test homeserver (the harness's variables) and signs in a real crypto device (an
//! `OlmMachine` of the same crates, keys uploaded), whose session matrix-push then runs on. Its
//! access token expires (the test server's refreshable tokens live 15 s) and only this process
//! refreshes it, as only the app's SDK may.
//!
//! Usage: app-crypto
//! Prints one JSON line, `{"user_id": …, "device_id": …, "access_token": …}` (a test account on
//! loopback: the token goes to the test that spawned it and nowhere else), then answers one JSON
//! line on stdout for each request line on stdin, until stdin ends:
//! - `{"decrypt": {"room_id": …, "event": {…}, "time_left_ms": N}}` → `{"cleartext": {…}|null,
//!   "synced": bool, "reason"?: …}`: decrypts with the room keys the device has; without the key,
//!   syncs the device's to-device messages (the room key may have come since the app last ran)
//!   and tries again, all within N ms — what an app's SDK does for a notification.
//! - `{"refresh": {"failed": TOKEN}}` → `{"access_token": …, "refreshes": N}`: the current token,
//!   refreshed with the refresh token first if it expired; N counts this process's refreshes.

use matrix_push::Client;
use matrix_push_tests::Homeserver;
use matrix_push_tests::e2ee::CryptoDevice;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let hs = Homeserver::main();
    let (client, user_id, _) = hs.signed_in("appcrypto").await;
    let device = CryptoDevice::new(client).await;
    let session = device.client.session().unwrap();
    say(json!({
        "user_id": user_id,
        "device_id": session.device_id,
        "access_token": session.access_token.expose(),
    }));

    // Requests come one at a time (the test waits for each answer): a blocking read is enough.
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        if line.trim().is_empty() {
            continue;
        }
        let request: Value = match serde_json::from_str(&line) {
            Ok(request) => request,
            Err(error) => {
                say(json!({"error": format!("not JSON: {error}")}));
                continue;
            }
        };
        let answer = if let Some(decrypt) = request.get("decrypt") {
            decrypt_for_push(&device, decrypt).await
        } else if request.get("refresh").is_some() {
            refresh(&device.client).await
        } else {
            json!({"error": format!("unknown request {request}")})
        };
        say(answer);
    }
}

async fn decrypt_for_push(device: &CryptoDevice, request: &Value) -> Value {
    let (Some(room_id), Some(event)) = (request["room_id"].as_str(), request.get("event")) else {
        return json!({"error": "decrypt needs room_id and event"});
    };
    let time_left = Duration::from_millis(request["time_left_ms"].as_u64().unwrap_or(10_000));
    let mut synced = false;
    let attempt = device.decrypt_syncing_once(room_id, event, || synced = true);
    match tokio::time::timeout(time_left, attempt).await {
        Ok(Some(clear)) => json!({"cleartext": clear, "synced": synced}),
        Ok(None) => {
            json!({"cleartext": null, "synced": synced, "reason": "no room key, even after a sync"})
        }
        Err(_) => json!({"cleartext": null, "synced": synced, "reason": "out of time"}),
    }
}

/// Any request refreshes an expired token inside this "SDK" (its `Client` holds the refresh
/// token); the token it has afterwards.
async fn refresh(client: &Client) -> Value {
    if let Err(error) = client.whoami().await {
        return json!({"access_token": null, "error": error.to_string()});
    }
    let session = client.session().unwrap();
    json!({
        "access_token": session.access_token.expose(),
        "refreshes": client.session_client().refresh_count(),
    })
}

fn say(line: Value) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}
