//! UnifiedPush end to end: finding the push gateway for an endpoint (UnifiedPush's Matrix gateway
//! discovery, bounded whatever the push server does), and a real Synapse pushing through the
//! project's gateway acting as a push server with a Matrix gateway built in (as ntfy has), the
//! phone decoding the forwarded body and resolving it.

use matrix_push::http::{HttpConfig, Transport};
use matrix_push::notify::Outcome;
use matrix_push::payload::{Provider, decode};
use matrix_push::pushers::{Pusher, PusherError, UNIFIED_PUSH_DEFAULT_GATEWAY, unified_push_gateway};
use matrix_push_tests::gateway::Gateway;
use matrix_push_tests::hostile::{HostileServer, Mode};
use matrix_push_tests::{Homeserver, create_room, join, send_event};
use serde_json::json;
use std::time::{Duration, Instant};

const APP_ID: &str = "io.matrixpush.tests.up";
const TIMEOUT: Duration = Duration::from_secs(2);

fn transport() -> Transport {
    Transport::new(HttpConfig::default()).unwrap()
}

async fn discover(endpoint: &str) -> Result<String, PusherError> {
    unified_push_gateway(&transport(), endpoint, UNIFIED_PUSH_DEFAULT_GATEWAY, TIMEOUT)
        .await
        .map(|url| url.to_string())
}

#[tokio::test]
async fn a_push_server_with_a_matrix_gateway_is_found_on_the_endpoints_origin() {
    let gateway = Gateway::start().await.unwrap();
    gateway.serve_unified_push_discovery();
    // Path and query of the endpoint are the push server's own: replaced by the notify path.
    let endpoint = format!("{}?up=1", gateway.unified_push_endpoint("topic-a"));
    assert_eq!(discover(&endpoint).await.unwrap(), gateway.url());
}

#[tokio::test]
async fn anything_but_the_discovery_answer_means_the_fallback() {
    // A push gateway without UnifiedPush discovery (405, as Sygnal answers a GET).
    let sygnal_like = Gateway::start().await.unwrap();
    let endpoint = sygnal_like.unified_push_endpoint("topic-b");
    assert_eq!(discover(&endpoint).await.unwrap(), UNIFIED_PUSH_DEFAULT_GATEWAY);
    // Nothing listening.
    let dead = format!("http://127.0.0.1:{}/up/x", free_port());
    assert_eq!(discover(&dead).await.unwrap(), UNIFIED_PUSH_DEFAULT_GATEWAY);
    // Plain http to another host: the homeserver must not push there unencrypted.
    assert_eq!(
        discover("http://push.example.org/up/x").await.unwrap(),
        UNIFIED_PUSH_DEFAULT_GATEWAY
    );
}

#[tokio::test]
async fn a_hostile_push_server_costs_at_most_the_timeout() {
    for mode in [
        Mode::SlowDrip,
        Mode::HugeContentLength,
        Mode::EndlessChunked,
        Mode::Garbage,
        Mode::Html5xx,
        Mode::RedirectLoop,
    ] {
        let server = HostileServer::start(mode);
        let started = Instant::now();
        let gateway = discover(&format!("{}up/topic", server.url())).await.unwrap();
        assert_eq!(gateway, UNIFIED_PUSH_DEFAULT_GATEWAY, "{mode:?}");
        assert!(
            started.elapsed() < TIMEOUT + Duration::from_secs(1),
            "{mode:?} took {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_bad_endpoint_or_fallback_is_a_typed_error_that_hides_the_endpoint_path() {
    match discover("ntfy://secret-topic").await {
        Err(PusherError::InvalidEndpoint { endpoint }) => assert!(!endpoint.contains("secret")),
        other => panic!("{other:?}"),
    }
    let bad_fallback = unified_push_gateway(
        &transport(),
        "https://ntfy.example.org/up/x",
        "https://gateway.example.org/wrong/path",
        TIMEOUT,
    )
    .await;
    assert!(matches!(bad_fallback, Err(PusherError::InvalidGatewayUrl { .. })));
}

#[tokio::test]
async fn a_message_reaches_the_phone_through_unified_push() {
    let hs = Homeserver::main();
    let gateway = Gateway::start().await.unwrap();
    gateway.serve_unified_push_discovery();
    let (bob, bob_id, _) = hs.signed_in("upbob").await;
    let (alice, _, _) = hs.signed_in("upalice").await;

    let endpoint = gateway.unified_push_endpoint(&format!("topic-{bob_id}"));
    let found = discover(&endpoint).await.unwrap();
    bob.set_pusher(&Pusher::new(&endpoint, APP_ID, found))
        .await
        .unwrap();
    bob.fetch_push_rules().await.unwrap();

    let room = create_room(
        &alice,
        json!({"invite": [bob_id], "is_direct": true, "preset": "private_chat"}),
    )
    .await;
    join(&bob, &room).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    gateway.drain();

    let event_id = send_event(
        &alice,
        &room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": "over UnifiedPush"}),
    )
    .await;
    let delivery = gateway
        .next_delivery_for(&endpoint, Duration::from_secs(10))
        .await
        .expect("a push forwarded to the endpoint");
    // What the distributor hands the app: the notify request's body, as the homeserver sent it.
    let body = delivery.payload.to_string();
    assert!(body.contains(&event_id), "{body}");
    let payload = decode(Provider::UnifiedPush, &delivery.payload).unwrap();
    assert_eq!(payload.event_id.as_deref(), Some(event_id.as_str()));
    match bob.handle_push(&payload, Duration::from_secs(10)).await {
        Outcome::Show(notification) => assert_eq!(notification.body, "over UnifiedPush"),
        other => panic!("{other:?}"),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
