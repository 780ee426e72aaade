//! Shared helpers for the end-to-end suites in `tests/tests/`.

use hmac::{Hmac, Mac};
use matrix_push::Client;
use matrix_push::http::{HttpConfig, HttpError, Method, Request, Transport};
use matrix_push::secret::Secret;
use matrix_push::session::{LoginIdentifier, MemorySessionStore, SessionStore};
use serde_json::{Value, json};
use sha1::Sha1;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The project's push gateway (crate `matrix-push-gateway`), under the name the suites use.
pub use matrix_push_gateway as gateway;
pub mod cli;
pub mod e2ee;
pub mod homeservers;
pub mod hostile;

/// The shared fixtures: `MATRIX_PUSH_FIXTURES`, else `shared/fixtures` in the nearest folder
/// above the repository that has one (`../shared/fixtures` for a checkout beside `shared`).
/// Panics with a clear message when they cannot be found: a suite must not pass without them.
pub fn fixtures_dir() -> PathBuf {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found = match std::env::var_os("MATRIX_PUSH_FIXTURES") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => repository.canonicalize().ok().and_then(|repository| {
            repository
                .ancestors()
                .skip(1)
                .map(|folder| folder.join("shared/fixtures"))
                .find(|dir| dir.is_dir())
        }),
    };
    match found {
        Some(dir) if dir.join("pushrules/conformance.jsonl").is_file() => dir,
        _ => panic!(
            "the shared fixtures were not found above {} (set MATRIX_PUSH_FIXTURES)",
            repository.display()
        ),
    }
}

/// The path of the `matrix-push` command-line binary of this build's profile, built first (see
/// `built_cli`).
pub fn cli_binary() -> PathBuf {
    built_cli(if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    })
}

/// The `matrix-push` binary of the release build (what a phone would run: the memory and time
/// bounds are measured on it), built first (see `built_cli`).
pub fn release_cli_binary() -> PathBuf {
    built_cli("release")
}

/// The CLI binary of `profile` (`debug` or `release`), built or brought up to date once per
/// process: `cargo test` builds the binaries of a test's own package only, and the CLI is
/// another package. A fresh release build takes a few minutes, with cargo's progress on the
/// terminal; an up-to-date one a second.
fn built_cli(profile: &'static str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<&str>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !built.contains(&profile) {
        let mut cargo = std::process::Command::new(env!("CARGO"));
        cargo
            .args(["build", "-p", "matrix-push-cli", "--bin", "matrix-push"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile == "release" {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("cargo runs");
        assert!(status.success(), "the matrix-push CLI ({profile}) did not build");
        built.push(profile);
    }
    target_dir().join(profile).join("matrix-push")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The log of the `scripts/synapse` instance `name` (its access log lines included: one per
/// request, with the user, the status and the path).
pub fn synapse_log(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/synapse")
        .join(name)
        .join("homeserver.log")
}

/// A test homeserver started by `scripts/synapse`.
#[derive(Clone, Debug)]
pub struct Homeserver {
    /// The server's client-server API base URL.
    pub url: url::Url,
    /// The server name in user ids (`localhost:18008`).
    pub server_name: String,
    secret: String,
}

/// A harness variable: from the environment (`./scripts/test`, `eval "$(scripts/synapse env)"`),
/// else from the homeservers [`homeservers::ensure`] finds or starts (once per process).
fn env(name: &str) -> String {
    if let Ok(value) = std::env::var(name) {
        return value;
    }
    static STARTED: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    let variables = STARTED.get_or_init(homeservers::ensure);
    variables
        .get(name)
        .cloned()
        .unwrap_or_else(|| panic!("scripts/synapse env does not give {name}"))
}

impl Homeserver {
    /// The main instance (rate limits raised).
    pub fn main() -> Homeserver {
        Homeserver::at(
            &env("MATRIX_PUSH_SYNAPSE_URL"),
            &env("MATRIX_PUSH_SYNAPSE_SERVER_NAME"),
        )
    }

    /// The instance with low login and message rate limits.
    pub fn rate_limited() -> Homeserver {
        let url = env("MATRIX_PUSH_SYNAPSE_RATELIMITED_URL");
        let port = url.rsplit(':').next().unwrap_or_default().to_owned();
        Homeserver::at(&url, &format!("localhost:{port}"))
    }

    /// The instance without simplified sliding sync (MSC4186): `/sync` only, as older servers.
    pub fn legacy() -> Homeserver {
        let url = env("MATRIX_PUSH_SYNAPSE_LEGACY_URL");
        let port = url.rsplit(':').next().unwrap_or_default().to_owned();
        Homeserver::at(&url, &format!("localhost:{port}"))
    }

    /// The instance a test may freeze or kill, started afresh (the last test that used it
    /// killed it), and its pid.
    pub fn doomed() -> (Homeserver, u32) {
        let url = env("MATRIX_PUSH_SYNAPSE_DOOMED_URL");
        homeservers::restart("doomed");
        let port = url.rsplit(':').next().unwrap_or_default().to_owned();
        let pid_file = env("MATRIX_PUSH_SYNAPSE_DOOMED_PID_FILE");
        let pid = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        (Homeserver::at(&url, &format!("localhost:{port}")), pid)
    }

    fn at(url: &str, server_name: &str) -> Homeserver {
        let url = url::Url::parse(&format!("{}/", url.trim_end_matches('/'))).unwrap();
        Homeserver {
            url,
            server_name: server_name.to_owned(),
            secret: env("MATRIX_PUSH_SYNAPSE_SECRET"),
        }
    }

    fn transport() -> Transport {
        Transport::new(HttpConfig::default()).unwrap()
    }

    /// Registers a new user through the shared-secret admin API; returns `(user_id, password)`.
    /// The localpart gets a unique suffix so runs against one server never collide.
    pub async fn register(&self, name: &str, admin: bool) -> (String, String) {
        let localpart = unique(name);
        let password = format!("pw-{localpart}-secret");
        let url = self.url.join("_synapse/admin/v1/register").unwrap();
        let transport = Homeserver::transport();
        let nonce = transport
            .send(&Request::new(Method::Get, url.clone()))
            .await
            .unwrap()["nonce"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut mac = Hmac::<Sha1>::new_from_slice(self.secret.as_bytes()).unwrap();
        let role = if admin { "admin" } else { "notadmin" };
        mac.update(format!("{nonce}\0{localpart}\0{password}\0{role}").as_bytes());
        let digest: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let body = json!({"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": digest});
        let response = transport
            .send(&Request::new(Method::Post, url).json(body))
            .await
            .unwrap();
        (response["user_id"].as_str().unwrap().to_owned(), password)
    }

    /// An access token of a fresh admin user (no refresh token, so it does not expire).
    pub async fn admin_token(&self) -> Secret {
        let (user_id, password) = self.register("admin", true).await;
        let url = self.url.join("_matrix/client/v3/login").unwrap();
        let body = json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user_id}, "password": password});
        let response = Homeserver::transport()
            .send(&Request::new(Method::Post, url).json(body))
            .await
            .unwrap();
        Secret::new(response["access_token"].as_str().unwrap())
    }

    /// Sends a raw request to this server, as another program would (not through the SDK).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: &Secret,
        body: Option<Value>,
    ) -> Result<Value, HttpError> {
        let mut request = Request::new(method, self.url.join(path).unwrap()).bearer(Some(token.clone()));
        request.body = body;
        Homeserver::transport().send(&request).await
    }

    /// A client for this server with a fresh store folder and an in-memory session store.
    pub fn client(&self) -> Client {
        self.client_with(Arc::new(MemorySessionStore::default()), &temp_dir("client"))
    }

    /// A client for this server with `store` as its session store and `dir` as its store folder.
    pub fn client_with(&self, store: Arc<dyn SessionStore>, dir: &Path) -> Client {
        Client::builder(self.url.clone())
            .store_dir(dir)
            .session_store(store)
            .device_display_name("matrix-push tests")
            .build()
            .unwrap()
    }

    /// A signed-in client for a new user; returns it with the user id and password.
    pub async fn signed_in(&self, name: &str) -> (Client, String, String) {
        self.signed_in_with(name, HttpConfig::default()).await
    }

    /// A new device of an existing user: a client with a fresh store, signed in with the password.
    pub async fn another_device(&self, user_id: &str, password: &str) -> Client {
        let client = self.client();
        log_in(&client, user_id, password).await;
        client
    }

    /// Like [`Homeserver::signed_in`], with transport settings of the test's choosing.
    pub async fn signed_in_with(&self, name: &str, http: HttpConfig) -> (Client, String, String) {
        let (user_id, password) = self.register(name, false).await;
        let client = Client::builder(self.url.clone())
            .store_dir(temp_dir(name))
            .device_display_name("matrix-push tests")
            .http_config(http)
            .build()
            .unwrap();
        client
            .login_password(
                &LoginIdentifier::User(user_id.clone()),
                &Secret::new(password.as_str()),
            )
            .await
            .unwrap();
        (client, user_id, password)
    }
}

/// Signs `client` in as `user_id` with `password`: a new device.
pub async fn log_in(client: &Client, user_id: &str, password: &str) {
    client
        .login_password(&LoginIdentifier::User(user_id.to_owned()), &Secret::new(password))
        .await
        .unwrap();
}

/// Sets `user_id`'s display name, as a client would.
pub async fn set_display_name(
    client: &Client,
    user_id: &str,
    name: &str,
) -> Result<(), matrix_push::session::SessionError> {
    let url = client
        .session_client()
        .url_of(&["profile", user_id, "displayname"]);
    client
        .session_client()
        .send_request(Request::new(Method::Put, url).json(json!({"displayname": name})))
        .await
        .map(|_| ())
}

/// `name` with a suffix unique to this process and call.
pub fn unique(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{name}{}x{}x{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A new, empty folder under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("matrix-push-{}", unique(name)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sends an event of `event_type` into `room` as `from`; returns its event id.
pub async fn send_event(from: &Client, room: &str, event_type: &str, content: Value) -> String {
    let url = from
        .session_client()
        .url_of(&["rooms", room, "send", event_type, &unique("txn")]);
    from.session_client()
        .send_request(Request::new(Method::Put, url).json(content))
        .await
        .unwrap()["event_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Sets the state event `event_type`/`state_key` of `room` to `content`, as `from`.
pub async fn send_state(from: &Client, room: &str, event_type: &str, state_key: &str, content: Value) {
    let url = from
        .session_client()
        .url_of(&["rooms", room, "state", event_type, state_key]);
    from.session_client()
        .send_request(Request::new(Method::Put, url).json(content))
        .await
        .unwrap();
}

/// Creates a room as `creator` (`body` is the `createRoom` request); returns its id.
pub async fn create_room(creator: &Client, body: Value) -> String {
    creator
        .session_client()
        .send(Method::Post, "createRoom", Some(body))
        .await
        .unwrap()["room_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `text` as a room id, for the SDK's methods that take one typed (the helpers here hand ids as
/// text, as a server's answers do).
pub fn room_id(text: &str) -> matrix_push::ids::RoomId {
    matrix_push::ids::RoomId::parse(text).unwrap()
}

/// `text` as an event id (see [`room_id`]).
pub fn event_id(text: &str) -> matrix_push::ids::EventId {
    matrix_push::ids::EventId::parse(text).unwrap()
}

/// `text` as a user id (see [`room_id`]).
pub fn user_id(text: &str) -> matrix_push::ids::UserId {
    matrix_push::ids::UserId::parse(text).unwrap()
}

/// A 4×4 PNG (an avatar to upload).
pub fn tiny_png() -> Vec<u8> {
    const PNG: &str = "89504e470d0a1a0a0000000d4948445200000004000000040806000000a9f19e7e0000001249444154789c63f8cfc0f01f1933902e00003c401fe1e08177b40000000049454e44ae426082";
    (0..PNG.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&PNG[i..i + 2], 16).unwrap())
        .collect()
}

/// Uploads `bytes` of `content_type` to `hs` with `token` (`POST /_matrix/media/v3/upload`);
/// the `mxc://` URL.
pub async fn upload_media(hs: &Homeserver, token: &Secret, content_type: &str, bytes: Vec<u8>) -> String {
    let url = hs.url.join("_matrix/media/v3/upload").unwrap();
    let answer: Value = reqwest::Client::new()
        .post(url)
        .bearer_auth(token.expose())
        .header("Content-Type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["content_uri"].as_str().unwrap().to_owned()
}

/// Gives `user_id` the power `level` in `room`, as `admin` (who must be allowed to).
pub async fn set_power_level(admin: &Client, room: &str, user_id: &str, level: i64) {
    let url = admin
        .session_client()
        .url_of(&["rooms", room, "state", "m.room.power_levels", ""]);
    let mut levels = admin
        .session_client()
        .send_request(Request::new(Method::Get, url.clone()))
        .await
        .unwrap();
    levels["users"][user_id] = json!(level);
    admin
        .session_client()
        .send_request(Request::new(Method::Put, url).json(levels))
        .await
        .unwrap();
}

/// Joins `room` as `member`.
pub async fn join(member: &Client, room: &str) {
    let url = member.session_client().url_of(&["join", room]);
    member
        .session_client()
        .send_request(Request::new(Method::Post, url).json(json!({})))
        .await
        .unwrap();
}
