//! Sign-in against a real Synapse (started by `scripts/synapse`): discovery, login flows,
//! password and token login, restore (also from the saved session alone), whoami, logout,
//! refresh (in one process and across two), soft logout, secrets in logs, and the failures a phone meets — wrong password, deactivated
//! account, unknown token, a server that stops, rate limits.

use matrix_push::ClientBuilder;
use matrix_push::client::RestoreError;
use matrix_push::http::{HttpConfig, HttpError, Method};
use matrix_push::ids::UserId;
use matrix_push::secret::Secret;
use matrix_push::session::{
    KeyringSessionStore, LoginIdentifier, MemorySessionStore, Session, SessionError, SessionStore,
    discover_homeserver,
};
use matrix_push_tests::{Homeserver, temp_dir, unique};
use serde_json::json;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Access tokens from the test server live 15 s (`refreshable_access_token_lifetime`).
const TOKEN_LIFETIME: Duration = Duration::from_secs(15);

fn transport() -> matrix_push::http::Transport {
    matrix_push::http::Transport::new(HttpConfig::default()).unwrap()
}

fn matrix_errcode(error: &SessionError) -> Option<&str> {
    match error {
        SessionError::Http(e) => e.matrix().map(|m| m.errcode.as_str()),
        _ => None,
    }
}

#[tokio::test]
async fn discovery_from_user_id_server_name_and_url() {
    let hs = Homeserver::main();
    let t = transport();
    // Synapse's .well-known points at http://localhost:PORT/ (its public_baseurl).
    let expected = format!("http://{}/", hs.server_name);
    let from_user = discover_homeserver(&t, &format!("@alice:{}", hs.server_name))
        .await
        .unwrap();
    assert_eq!(from_user.as_str(), expected);
    let from_name = discover_homeserver(&t, &hs.server_name).await.unwrap();
    assert_eq!(from_name.as_str(), expected);
    let from_url = discover_homeserver(&t, hs.url.as_str()).await.unwrap();
    assert_eq!(from_url, hs.url);
    for bad in ["", "@nobody", "not a server"] {
        assert!(
            matches!(
                discover_homeserver(&t, bad).await,
                Err(SessionError::InvalidServer { .. })
            ),
            "{bad:?}"
        );
    }
}

/// A plain web server on loopback that answers every request with an HTML page.
fn web_page_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let page = "<html><body>Welcome to my blog</body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    port
}

#[tokio::test]
async fn a_web_site_or_a_closed_port_is_not_a_matrix_server() {
    let t = transport();
    let port = web_page_server();
    let error = discover_homeserver(&t, &format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(matches!(error, SessionError::NotAMatrixServer { .. }), "{error}");
    assert!(error.to_string().contains("not a Matrix homeserver"), "{error}");
    let error = discover_homeserver(&t, &format!("localhost:{port}"))
        .await
        .unwrap_err();
    assert!(matches!(error, SessionError::NotAMatrixServer { .. }), "{error}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = discover_homeserver(&t, &format!("http://127.0.0.1:{closed}/"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, SessionError::Http(HttpError::Network { .. })),
        "{error}"
    );
}

#[tokio::test]
async fn login_flows_offer_password_and_token() {
    let client = Homeserver::main().client();
    let flows = client.login_flows().await.unwrap();
    assert!(flows.iter().any(|f| f.kind == "m.login.password"), "{flows:?}");
    assert!(
        flows
            .iter()
            .any(|f| f.kind == "m.login.token" && f.get_login_token),
        "{flows:?}"
    );
}

#[tokio::test]
async fn password_login_by_user_id_localpart_and_email() {
    let hs = Homeserver::main();
    let (user_id, password) = hs.register("login", false).await;
    let password = Secret::new(password);
    let localpart = user_id
        .trim_start_matches('@')
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    let email = format!("{localpart}@example.org");
    let admin = hs.admin_token().await;
    hs.raw(
        Method::Put,
        &format!("_synapse/admin/v2/users/{user_id}"),
        &admin,
        Some(json!({"threepids": [{"medium": "email", "address": email}]})),
    )
    .await
    .unwrap();
    for identifier in [
        LoginIdentifier::User(user_id.clone()),
        LoginIdentifier::User(localpart),
        LoginIdentifier::Email(email),
    ] {
        let client = hs.client();
        let session = client.login_password(&identifier, &password).await.unwrap();
        assert_eq!(session.user_id, user_id, "{identifier:?}");
        assert!(session.refresh_token.is_some(), "a refresh token is asked for");
        let (whoami, device) = client.whoami().await.unwrap();
        assert_eq!(whoami, user_id);
        assert_eq!(device.as_deref(), Some(session.device_id.as_str()));
    }
}

#[tokio::test]
async fn the_device_gets_its_display_name() {
    let hs = Homeserver::main();
    let (client, _, _) = hs.signed_in("named").await;
    let session = client.session().unwrap();
    let device = client
        .session_client()
        .send(Method::Get, &format!("devices/{}", session.device_id), None)
        .await
        .unwrap();
    assert_eq!(device["display_name"], "matrix-push tests");
}

#[tokio::test]
async fn token_login_for_sso() {
    let hs = Homeserver::main();
    let (first, user_id, _) = hs.signed_in("sso").await;
    // A signed-in device mints a login token (what an SSO redirect or a QR code hands over).
    let token = first
        .session_client()
        .send_request(
            matrix_push::http::Request::new(
                Method::Post,
                hs.url.join("_matrix/client/v1/login/get_token").unwrap(),
            )
            .json(json!({})),
        )
        .await
        .unwrap()["login_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = hs.client();
    let session = second.login_token(&Secret::new(token.as_str())).await.unwrap();
    assert_eq!(session.user_id, user_id);
    assert_ne!(session.device_id, first.session().unwrap().device_id);
    let reused = hs.client().login_token(&Secret::new(token)).await.unwrap_err();
    assert_eq!(matrix_errcode(&reused), Some("M_FORBIDDEN"), "{reused}");
}

#[tokio::test]
async fn wrong_password_and_deactivated_account() {
    let hs = Homeserver::main();
    let (phone, user_id, password) = hs.signed_in("denied").await;
    let other = hs.client();
    let wrong = other
        .login_password(
            &LoginIdentifier::User(user_id.clone()),
            &Secret::new("not the password"),
        )
        .await
        .unwrap_err();
    assert_eq!(matrix_errcode(&wrong), Some("M_FORBIDDEN"), "{wrong}");
    assert!(other.session().is_none());
    let admin = hs.admin_token().await;
    hs.raw(
        Method::Post,
        &format!("_synapse/admin/v1/deactivate/{user_id}"),
        &admin,
        Some(json!({"erase": false})),
    )
    .await
    .unwrap();
    // The signed-in phone learns its session is over, and forgets it.
    assert!(matches!(phone.whoami().await, Err(SessionError::LoggedOut)));
    assert!(phone.session().is_none());
    // Signing in again is refused (Synapse clears a deactivated account's password, so it
    // answers M_FORBIDDEN; other servers say M_USER_DEACTIVATED).
    let deactivated = other
        .login_password(&LoginIdentifier::User(user_id), &Secret::new(password))
        .await
        .unwrap_err();
    assert!(
        matches!(
            matrix_errcode(&deactivated),
            Some("M_USER_DEACTIVATED" | "M_FORBIDDEN")
        ),
        "{deactivated}"
    );
}

#[tokio::test]
async fn restore_whoami_and_logout() {
    let hs = Homeserver::main();
    let (user_id, password) = hs.register("restore", false).await;
    let store: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
    let dir = temp_dir("restore");
    let first = hs.client_with(store.clone(), &dir);
    let session = first
        .login_password(&LoginIdentifier::User(user_id.clone()), &Secret::new(password))
        .await
        .unwrap();
    drop(first);
    let second = hs.client_with(store.clone(), &dir);
    assert_eq!(second.restore_session().unwrap(), Some(session.clone()));
    assert_eq!(second.whoami().await.unwrap().0, user_id);
    second.logout().await.unwrap();
    assert_eq!(store.load().unwrap(), None, "logout forgets the saved session");
    assert!(matches!(second.whoami().await, Err(SessionError::NotSignedIn)));
    // The token is dead on the server too.
    let dead = hs
        .raw(
            Method::Get,
            "_matrix/client/v3/account/whoami",
            &session.access_token,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(dead.matrix().unwrap().errcode, "M_UNKNOWN_TOKEN");
}

/// A later start of the app knows only where the session is saved: the client is restored from
/// it, homeserver included, and works; nothing saved is `None`, a damaged homeserver an error.
#[tokio::test]
async fn a_client_is_restored_from_the_saved_session_alone() {
    let hs = Homeserver::main();
    let store: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
    let restore = |store: Arc<dyn SessionStore>| {
        ClientBuilder::for_saved_session(store)
            .store_dir(temp_dir("restore-saved"))
            .device_display_name("matrix-push tests")
            .restore()
    };
    assert!(matches!(restore(store.clone()), Ok(None)), "nothing saved yet");

    let (user_id, password) = hs.register("restoresaved", false).await;
    let first = hs.client_with(store.clone(), &temp_dir("restore-first"));
    let session = first
        .login_password(&LoginIdentifier::User(user_id.clone()), &Secret::new(password))
        .await
        .unwrap();
    drop(first);

    let restored = restore(store.clone()).unwrap().expect("the saved session");
    assert_eq!(restored.session(), Some(session.clone()));
    assert_eq!(restored.session_client().homeserver(), &hs.url);
    assert_eq!(
        restored.whoami().await.unwrap(),
        (
            UserId::parse(user_id.clone()).unwrap(),
            Some(session.device_id.clone())
        )
    );
    assert_eq!(
        restored.session_client().transport().requests_sent(),
        1,
        "restoring makes no request; whoami one"
    );

    let damaged: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
    damaged
        .save(&Session {
            homeserver: "matrix.example.org".into(),
            ..session
        })
        .unwrap();
    assert!(matches!(
        restore(damaged),
        Err(RestoreError::InvalidSavedHomeserver(url)) if url == "matrix.example.org"
    ));
}

#[tokio::test]
async fn an_unknown_token_is_a_hard_logout() {
    let hs = Homeserver::main();
    let (client, _, _) = hs.signed_in("unknown").await;
    let mut session = client.session().unwrap();
    session.access_token = Secret::new("syt_not_a_real_token");
    session.refresh_token = None;
    let store: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
    store.save(&session).unwrap();
    let client = hs.client_with(store.clone(), &temp_dir("unknown"));
    client.restore_session().unwrap();
    assert!(matches!(client.whoami().await, Err(SessionError::LoggedOut)));
    assert_eq!(store.load().unwrap(), None);
}

/// Collects everything written by the fmt subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn refresh_is_shared_and_secrets_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // `log` records (from dependencies) go to the same place.
    let _ = tracing_subscriber::util::SubscriberInitExt::try_init(subscriber);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (password, session, refreshed) = runtime.block_on(async {
        let hs = Homeserver::main();
        let (user_id, password) = hs.register("secrets", false).await;
        let client = Arc::new(hs.client());
        let session = client
            .login_password(&LoginIdentifier::User(user_id), &Secret::new(password.as_str()))
            .await
            .unwrap();
        tokio::time::sleep(TOKEN_LIFETIME + Duration::from_secs(1)).await;
        // Five requests meet the expired token at once: one refresh serves them all.
        let calls: Vec<_> = (0..5)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.whoami().await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        assert_eq!(client.session_client().refresh_count(), 1);
        let refreshed = client.session().unwrap();
        assert_ne!(refreshed.access_token, session.access_token);
        (password, session, refreshed)
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("matrix request"), "the capture works: {logs}");
    assert!(logs.contains("access token refreshed"));
    for (name, secret) in [
        ("password", password.as_str()),
        ("access token", session.access_token.expose()),
        ("refresh token", session.refresh_token.as_ref().unwrap().expose()),
        ("new access token", refreshed.access_token.expose()),
        (
            "new refresh token",
            refreshed.refresh_token.as_ref().unwrap().expose(),
        ),
    ] {
        assert!(!logs.contains(secret), "the {name} leaked into the logs");
    }
    let debug = format!("{session:?} {refreshed:?}");
    assert!(
        !debug.contains(session.access_token.expose()) && !debug.contains(refreshed.access_token.expose())
    );
}

#[tokio::test]
async fn two_processes_never_spend_one_refresh_token_twice() {
    let hs = Homeserver::main();
    let (user_id, password) = hs.register("twoproc", false).await;
    let service = "io.matrixpush.tests";
    let account = unique("account");
    let store = Arc::new(KeyringSessionStore::new(service, &account));
    let dir = temp_dir("twoproc");
    let client = hs.client_with(store.clone(), &dir);
    let session = client
        .login_password(&LoginIdentifier::User(user_id.clone()), &Secret::new(password))
        .await
        .unwrap();
    assert_eq!(
        store.load().unwrap(),
        Some(session.clone()),
        "the keyring holds the session"
    );
    tokio::time::sleep(TOKEN_LIFETIME + Duration::from_secs(1)).await;
    let worker = env!("CARGO_BIN_EXE_session-worker");
    let spawn = || {
        std::process::Command::new(worker)
            .args([hs.url.as_str(), dir.to_str().unwrap(), service, &account])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outputs: Vec<String> = [a, b]
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            String::from_utf8(output.stdout).unwrap().trim().to_owned()
        })
        .collect();
    assert!(
        outputs.iter().all(|o| o.starts_with("ok ")),
        "both processes work: {outputs:?}"
    );
    let refreshes: u64 = outputs.iter().map(|o| o[3..].parse::<u64>().unwrap()).sum();
    assert_eq!(
        refreshes, 1,
        "exactly one process spent the refresh token: {outputs:?}"
    );
    // This process picks up the refreshed session from the store instead of refreshing again.
    assert_eq!(client.whoami().await.unwrap().0, user_id);
    assert_eq!(client.session_client().refresh_count(), 0);
    store.clear().unwrap();
}

#[tokio::test]
async fn soft_logout_then_sign_in_again_keeps_the_device() {
    let hs = Homeserver::main();
    let (client, user_id, password) = hs.signed_in("soft").await;
    let session = client.session().unwrap();
    // An admin invalidates the refresh token and the access token... Synapse soft-logs-out an
    // expired access token whose refresh token is gone: simulate by dropping our refresh token.
    let store: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
    let mut without_refresh = session.clone();
    without_refresh.refresh_token = None;
    store.save(&without_refresh).unwrap();
    let phone = hs.client_with(store.clone(), &temp_dir("soft"));
    phone.restore_session().unwrap();
    tokio::time::sleep(TOKEN_LIFETIME + Duration::from_secs(1)).await;
    let error = phone.whoami().await.unwrap_err();
    assert!(matches!(error, SessionError::SoftLoggedOut), "{error}");
    assert!(
        store.load().unwrap().is_some(),
        "a soft logout keeps the saved session"
    );
    let saved = store.load().unwrap().unwrap();
    assert!(saved.soft_logged_out, "saved as soft-logged-out");
    assert_eq!(saved.device_id, session.device_id);
    // Another process (an extension) sharing the session store knows without asking.
    let extension = hs.client_with(store.clone(), &temp_dir("soft-extension"));
    extension.restore_session().unwrap();
    let requests = extension.session_client().transport().requests_sent();
    assert!(matches!(
        extension.whoami().await,
        Err(SessionError::SoftLoggedOut)
    ));
    assert_eq!(extension.session_client().transport().requests_sent(), requests);
    let again = phone
        .login_password(&LoginIdentifier::User(user_id), &Secret::new(password))
        .await
        .unwrap();
    assert_eq!(
        again.device_id, session.device_id,
        "signing in again keeps the device"
    );
    assert!(phone.whoami().await.is_ok());
}

#[tokio::test]
async fn rate_limits_come_back_typed_with_their_wait() {
    let hs = Homeserver::rate_limited();
    let (user_id, _) = hs.register("limited", false).await;
    let client = hs.client();
    let mut limited = None;
    for _ in 0..6 {
        match client
            .login_password(&LoginIdentifier::User(user_id.clone()), &Secret::new("wrong"))
            .await
        {
            Err(SessionError::Http(HttpError::Matrix(e))) if e.errcode == "M_LIMIT_EXCEEDED" => {
                limited = Some(e);
                break;
            }
            Err(e) => assert_eq!(matrix_errcode(&e), Some("M_FORBIDDEN"), "{e}"),
            Ok(_) => panic!("a wrong password was accepted"),
        }
    }
    let limited = limited.expect("the rate-limited server answers 429");
    assert_eq!(limited.status, 429);
    let wait = limited.retry_after.expect("a retry-after");
    assert!(wait > Duration::from_secs(1), "{wait:?}");
}

#[tokio::test]
async fn a_frozen_then_stopped_server_fails_within_the_timeout() {
    let (hs, pid) = Homeserver::doomed();
    let config = HttpConfig {
        request_timeout: Duration::from_secs(2),
        max_retries: 1,
        ..HttpConfig::default()
    };
    let (client, _, _) = hs.signed_in_with("doomed", config).await;
    let signal = |name: &str| {
        let status = std::process::Command::new("kill")
            .args([name, &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal("-STOP");
    let started = Instant::now();
    let frozen = client.whoami().await.unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(frozen, SessionError::Http(HttpError::Timeout { .. })),
        "{frozen}"
    );
    // Two attempts of 2 s and one backoff: no hang.
    assert!(waited < Duration::from_secs(8), "{waited:?}");
    signal("-KILL");
    let started = Instant::now();
    let stopped = client.whoami().await.unwrap_err();
    assert!(
        matches!(stopped, SessionError::Http(HttpError::Network { .. })),
        "{stopped}"
    );
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn short_rate_limits_are_waited_out_by_the_transport() {
    // The rate-limited server allows a burst of 2 messages, then one every 5 s; sending an event
    // is an idempotent PUT (a transaction id), so the transport waits the Retry-After and resends.
    let config = HttpConfig {
        max_retry_after: Duration::from_secs(10),
        max_retries: 3,
        ..HttpConfig::default()
    };
    let (client, _, _) = Homeserver::rate_limited().signed_in_with("patient", config).await;
    let session = client.session_client();
    let room = session
        .send(Method::Post, "createRoom", Some(json!({})))
        .await
        .unwrap()["room_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    for n in 0..4 {
        let url = session.url_of(&["rooms", &room, "send", "m.room.message", &format!("txn{n}")]);
        let request = matrix_push::http::Request::new(Method::Put, url)
            .json(json!({"msgtype": "m.text", "body": "hi"}));
        session.send_request(request).await.unwrap();
    }
    assert!(
        started.elapsed() > Duration::from_secs(2),
        "the server's wait was honoured"
    );
}
