//! A real end-to-end encrypted sender for the Kotlin and Swift suites, which have no crypto
//! client of their own: registers a new user on the main test homeserver (the harness's
//! variables), invites RECIPIENT to an encrypted DM, waits until RECIPIENT joined, then sends TEXT
//! as Megolm ciphertext with its room key shared by to-device with RECIPIENT's devices.
//!
//! Usage: e2ee-sender RECIPIENT_USER_ID TEXT
//! Prints two JSON lines: `{"room_id": …, "sender": …}` once the invite is out, and
//! `{"event_id": …}` once the message is sent. Exits 1 when RECIPIENT does not join in 60 s.

use matrix_push_tests::Homeserver;
use matrix_push_tests::e2ee::{CryptoDevice, create_encrypted_dm};
use matrix_sdk_crypto::CollectStrategy;
use serde_json::json;
use std::io::Write;
use std::time::{Duration, Instant};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [recipient, text] = args.as_slice() else {
        eprintln!("usage: e2ee-sender RECIPIENT_USER_ID TEXT");
        std::process::exit(2);
    };
    let hs = Homeserver::main();
    let (client, sender, _) = hs.signed_in("e2eesender").await;
    let device = CryptoDevice::new(client).await;
    let room = create_encrypted_dm(&device.client, recipient).await;
    say(json!({"room_id": room, "sender": sender}));

    let session = device.client.session_client();
    let joined_url = session.url_of(&["rooms", &room, "joined_members"]);
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        let members = session
            .send_request(matrix_push::http::Request::new(
                matrix_push::http::Method::Get,
                joined_url.clone(),
            ))
            .await
            .unwrap();
        if members["joined"].get(recipient.as_str()).is_some() {
            break;
        }
        if Instant::now() > give_up {
            eprintln!("{recipient} did not join {room} within 60 s");
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let event_id = device
        .send_encrypted(&room, &[&sender, recipient], text, CollectStrategy::AllDevices)
        .await;
    say(json!({"event_id": event_id}));
}

fn say(line: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}
