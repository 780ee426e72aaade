//! A hostile homeserver: a TCP server on 127.0.0.1 that speaks just enough HTTP/1.1 to be taken
//! for a Matrix homeserver and then misbehaves on purpose, one way per instance ([`Mode`]). It is
//! what the push path must survive — within its deadline and its memory — when a server (or
//! something pretending to be one) is broken or malicious: not a mock of a happy path.
//!
//! A mode applies to every path the client requests (`/rooms/…/event/…`, `/sync`,
//! `/pushrules/`, anything else) unless it names one path. Each connection carries one request and
//! is closed after it (`Connection: close`), so every request the client sends is seen and
//! counted. The server runs on its own thread and runtime, so a synchronous test that runs the
//! CLI as a child process can use it; dropping it stops it.

pub mod proxy;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `200` with `Content-Length: 4294967296` (4 GiB), then a trickle of bytes.
    HugeContentLength,
    /// `200` with a chunked body that never ends (`{"a":"xxxx…`), as fast as the client reads.
    EndlessChunked,
    /// A valid-looking JSON event, one byte every 200 ms.
    SlowDrip,
    /// A JSON array nested 100 000 deep (`[[[[…]]]]`): valid JSON, deeper than any parser should
    /// go.
    DeepJson,
    /// JSON of the right shape with the wrong type in every field the SDK reads: the event's
    /// `type`, `sender`, `content`, `event_id`, `origin_server_ts`, `unsigned`; the sync's
    /// `next_batch`, `rooms`, `rooms.join.<id>`, summary counts, `state.events`,
    /// `account_data.events`, …; the rules' kinds; an error's `errcode`. `/sync` has
    /// [`WRONG_SYNC_VARIANTS`] shapes (`rooms` cannot be an array and hold a room at once):
    /// 0, the room where it belongs with everything inside it wrong; 1, `rooms` an array;
    /// 2, the room a string.
    WrongTypes {
        /// Which of the `/sync` shapes (below [`WRONG_SYNC_VARIANTS`]).
        sync_variant: u8,
    },
    /// Random bytes (not UTF-8) labelled `application/json`.
    Garbage,
    /// `502 Bad Gateway` with an HTML page, every time (a proxy in front of a dead server).
    Html5xx,
    /// `302` to the very URL requested, forever.
    RedirectLoop,
    /// `/sync` sends its headers and the start of a body that never finishes; every other path
    /// answers normally (the event, the create event, a member, empty push rules).
    SyncNeverEnds,
}

impl Mode {
    /// Every mode, each `/sync` variant of [`Mode::WrongTypes`] included.
    pub const ALL: [Mode; 11] = [
        Mode::HugeContentLength,
        Mode::EndlessChunked,
        Mode::SlowDrip,
        Mode::DeepJson,
        Mode::WrongTypes { sync_variant: 0 },
        Mode::WrongTypes { sync_variant: 1 },
        Mode::WrongTypes { sync_variant: 2 },
        Mode::Garbage,
        Mode::Html5xx,
        Mode::RedirectLoop,
        Mode::SyncNeverEnds,
    ];
}

/// How many `/sync` shapes [`Mode::WrongTypes`] has.
pub const WRONG_SYNC_VARIANTS: u8 = 3;

/// The declared length of [`Mode::HugeContentLength`]: 4 GiB.
pub const HUGE_CONTENT_LENGTH: u64 = 4 << 30;

/// A running hostile server; stopped when dropped.
pub struct HostileServer {
    mode: Mode,
    shared: Arc<Shared>,
    loopback: Loopback,
}

#[derive(Default)]
pub(crate) struct Shared {
    /// Request targets (path and query) in the order received.
    requests: Mutex<Vec<String>>,
    /// Body bytes written to clients (accepted by the kernel; the client may not have read them).
    bytes_sent: AtomicU64,
    /// The most body bytes written on a single connection.
    max_bytes_on_one_connection: AtomicU64,
}

impl Shared {
    /// Notes a request's target.
    fn record(&self, target: &str) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(target.to_owned());
    }

    /// The request targets received so far, in order.
    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A listener on 127.0.0.1 (a free port) with a thread and a runtime of its own, each accepted
/// connection served on a task of its own; stopped when dropped, which cancels every connection
/// still being served.
pub(crate) struct Loopback {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Loopback {
    /// Starts listening; `serve` answers one connection (given the listener's port).
    pub(crate) fn start<F, Fut>(name: String, serve: F) -> Loopback
    where
        F: Fn(TcpStream, u16) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("non-blocking listener");
        let port = std_listener.local_addr().expect("a local address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the loopback server");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("a tokio listener");
                    let accept = async {
                        loop {
                            let Ok((stream, _)) = listener.accept().await else {
                                continue;
                            };
                            tokio::spawn(serve(stream, port));
                        }
                    };
                    tokio::select! {
                        _ = accept => {}
                        _ = stopped => {}
                    }
                });
            })
            .expect("a thread for the loopback server");
        Loopback {
            port,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The port listened on.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl HostileServer {
    /// Starts a server in `mode` on 127.0.0.1 (a free port).
    pub fn start(mode: Mode) -> HostileServer {
        let shared = Arc::new(Shared::default());
        let served = shared.clone();
        let loopback = Loopback::start(format!("hostile-{mode:?}"), move |stream, port| {
            let shared = served.clone();
            async move {
                // A client hanging up mid-answer is the expected end, not a failure.
                let _ = serve(stream, mode, port, &shared).await;
            }
        });
        HostileServer {
            mode,
            shared,
            loopback,
        }
    }

    /// The mode the server was started in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The server's base URL, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.loopback.port())
    }

    /// The request targets received so far (path and query).
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests()
    }

    /// Body bytes written to clients so far, all connections together.
    pub fn bytes_sent(&self) -> u64 {
        self.shared.bytes_sent.load(Ordering::Relaxed)
    }

    /// The most body bytes written on any one connection.
    pub fn max_bytes_on_one_connection(&self) -> u64 {
        self.shared.max_bytes_on_one_connection.load(Ordering::Relaxed)
    }
}

/// Counts body bytes per connection into the shared totals.
struct Counter<'a> {
    shared: &'a Shared,
    sent: u64,
}

impl Counter<'_> {
    async fn write(&mut self, stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
        stream.write_all(bytes).await?;
        self.sent += bytes.len() as u64;
        self.shared
            .bytes_sent
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.shared
            .max_bytes_on_one_connection
            .fetch_max(self.sent, Ordering::Relaxed);
        Ok(())
    }
}

/// The longest request head read; a longer one is answered by closing the connection.
const MAX_HEAD: usize = 64 * 1024;
/// How long the trickling and never-ending modes keep a connection before giving up on it (the
/// client is expected to hang up long before).
const KEEP_TRYING: Duration = Duration::from_secs(60);

async fn serve(mut stream: TcpStream, mode: Mode, port: u16, shared: &Shared) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    shared.record(&request.target);
    let path = request.path().to_owned();
    let is_sync = path.ends_with("/sync");
    let answers = Answers {
        target: request.target,
        port,
        normal: normal_answer(&path),
        wrong: match mode {
            Mode::WrongTypes { sync_variant } if is_sync => ("200 OK", wrong_sync(sync_variant)),
            _ => wrong_answer(&path),
        },
        never_ends: is_sync,
    };
    misbehave(stream, mode, answers, shared).await
}

/// What a misbehaving answer to one request is made of.
pub(crate) struct Answers {
    /// The request's target (path and query): where a redirect points.
    pub target: String,
    /// The server's port (redirects name it).
    pub port: u16,
    /// What a working server answers (status line, JSON body): what [`Mode::SlowDrip`] drips,
    /// and [`Mode::SyncNeverEnds`] gives the requests it finishes.
    pub normal: (&'static str, String),
    /// The answer with wrong types ([`Mode::WrongTypes`]).
    pub wrong: (&'static str, String),
    /// Whether [`Mode::SyncNeverEnds`] leaves this request unfinished.
    pub never_ends: bool,
}

/// Answers one request in `mode` and closes the connection.
pub(crate) async fn misbehave(
    mut stream: TcpStream,
    mode: Mode,
    answers: Answers,
    shared: &Shared,
) -> std::io::Result<()> {
    let mut counter = Counter { shared, sent: 0 };
    let json_head = |status: &str, length: usize| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
        )
    };
    let Answers {
        target,
        port,
        normal,
        wrong,
        never_ends,
    } = answers;
    match mode {
        Mode::HugeContentLength => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE_CONTENT_LENGTH}\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            counter.write(&mut stream, br#"{"a":""#).await?;
            let started = tokio::time::Instant::now();
            while started.elapsed() < KEEP_TRYING {
                counter.write(&mut stream, b"xxxxxxxxxxxxxxxx").await?;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Mode::EndlessChunked => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                )
                .await?;
            counter.write(&mut stream, &chunk(br#"{"a":""#)).await?;
            let xs = chunk(&[b'x'; 16 * 1024]);
            // As fast as the client reads: write_all waits whenever the socket buffer is full.
            loop {
                counter.write(&mut stream, &xs).await?;
            }
        }
        Mode::SlowDrip => {
            let body = normal.1;
            stream
                .write_all(json_head("200 OK", body.len()).as_bytes())
                .await?;
            for byte in body.as_bytes() {
                counter.write(&mut stream, &[*byte]).await?;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Mode::DeepJson => {
            const DEPTH: usize = 100_000;
            let mut body = vec![b'['; DEPTH];
            body.extend(std::iter::repeat_n(b']', DEPTH));
            stream
                .write_all(json_head("200 OK", body.len()).as_bytes())
                .await?;
            counter.write(&mut stream, &body).await?;
        }
        Mode::WrongTypes { .. } => {
            let (status, body) = wrong;
            stream.write_all(json_head(status, body.len()).as_bytes()).await?;
            counter.write(&mut stream, body.as_bytes()).await?;
        }
        Mode::Garbage => {
            let body = garbage(4096, (port as u64) ^ ((target.len() as u64) << 16));
            stream
                .write_all(json_head("200 OK", body.len()).as_bytes())
                .await?;
            counter.write(&mut stream, &body).await?;
        }
        Mode::Html5xx => {
            let body = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                        <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
                        </body>\r\n</html>\r\n";
            let head = format!(
                "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            counter.write(&mut stream, body.as_bytes()).await?;
        }
        Mode::RedirectLoop => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}{target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
        }
        Mode::SyncNeverEnds if never_ends => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                )
                .await?;
            counter
                .write(&mut stream, &chunk(br#"{"next_batch":"s1","rooms":{"join":{"#))
                .await?;
            // Never another byte: wait until the client hangs up (a read of 0) or gives up.
            let mut sink = [0u8; 1024];
            let _ = tokio::time::timeout(KEEP_TRYING, async {
                while stream.read(&mut sink).await.unwrap_or(0) > 0 {}
            })
            .await;
        }
        Mode::SyncNeverEnds => {
            let (status, body) = normal;
            stream.write_all(json_head(status, body.len()).as_bytes()).await?;
            counter.write(&mut stream, body.as_bytes()).await?;
        }
    }
    stream.shutdown().await
}

/// One request as received.
pub(crate) struct RawRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Header names and values, as sent.
    pub headers: Vec<(String, String)>,
    /// The body (at most [`MAX_BODY`] bytes of it).
    pub body: Vec<u8>,
}

impl RawRequest {
    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The value of header `name`, if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The most request body bytes kept (a key upload is the largest the SDK sends).
const MAX_BODY: usize = 1024 * 1024;

/// Reads one request: its head and the body it announces; `None` when the client sent nothing
/// usable.
pub(crate) async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<RawRequest>> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    let end = loop {
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&buffer[..n]);
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target)) = (request_line.next(), request_line.next()) else {
        return Ok(None);
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut request = RawRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: head[end + 4..].to_vec(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
        .min(MAX_BODY);
    while request.body.len() < length {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        request.body.extend_from_slice(&buffer[..n]);
    }
    request.body.truncate(length);
    Ok(Some(request))
}

/// One HTTP/1.1 chunk.
fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// `%XX` escapes decoded (room and event ids travel escaped in paths).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = || std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok();
        match (bytes[i], hex().and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path segments after `/_matrix/client/v3/`, decoded.
fn segments(path: &str) -> Vec<String> {
    path.trim_start_matches('/')
        .split('/')
        .skip(3)
        .map(percent_decode)
        .collect()
}

/// What a working homeserver would answer (for [`Mode::SlowDrip`]'s body and the paths
/// [`Mode::SyncNeverEnds`] leaves alone): status line and JSON body.
pub(crate) fn normal_answer(path: &str) -> (&'static str, String) {
    let segments = segments(path);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["rooms", room, "event", event] => (
            "200 OK",
            serde_json::json!({
                "type": "m.room.message", "sender": "@mallory:localhost", "room_id": room,
                "event_id": event, "origin_server_ts": 1_767_225_600_000u64,
                "content": {"msgtype": "m.text", "body": "hello from a hostile server"},
                "unsigned": {"age": 10}
            })
            .to_string(),
        ),
        ["rooms", room, "state", "m.room.create", ..] => (
            "200 OK",
            serde_json::json!({
                "type": "m.room.create", "state_key": "", "sender": "@mallory:localhost",
                "room_id": room, "event_id": "$create", "origin_server_ts": 1,
                "content": {"room_version": "11"}
            })
            .to_string(),
        ),
        ["rooms", _, "state", "m.room.member", _] => (
            "200 OK",
            r#"{"membership":"join","displayname":"Mallory"}"#.to_owned(),
        ),
        ["pushrules", ..] => (
            "200 OK",
            r#"{"global":{"override":[],"content":[],"room":[],"sender":[],"underride":[]}}"#.to_owned(),
        ),
        ["sync"] => (
            "200 OK",
            r#"{"next_batch":"s1","rooms":{"join":{}},"account_data":{"events":[]}}"#.to_owned(),
        ),
        _ => (
            "404 Not Found",
            r#"{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}"#.to_owned(),
        ),
    }
}

/// [`Mode::WrongTypes`] for everything but `/sync`.
fn wrong_answer(path: &str) -> (&'static str, String) {
    let segments = segments(path);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let body = match segments.as_slice() {
        ["rooms", _, "event", _] => serde_json::json!({
            "type": 7, "sender": ["@mallory:localhost"], "content": "m.text",
            "event_id": {"$": 1}, "origin_server_ts": "yesterday", "unsigned": [1, 2, 3],
            "room_id": 42, "state_key": false
        }),
        ["rooms", _, "state", "m.room.create", ..] => serde_json::json!({
            "type": [], "state_key": 0, "sender": 1.5, "content": "v12",
        }),
        ["rooms", _, "state", "m.room.member", _] => serde_json::json!({
            "membership": 1, "displayname": {"name": "Mallory"}, "avatar_url": [true]
        }),
        ["pushrules", ..] => serde_json::json!({
            "global": {"override": {"rule_id": ".m.rule.master"}, "content": "everything",
                       "room": 3, "sender": [1, 2], "underride": [{"rule_id": 5, "actions": "notify",
                       "conditions": {"kind": "event_match"}, "default": "yes", "enabled": 1}]}
        }),
        // Elsewhere an error whose fields have the wrong types.
        _ => {
            return (
                "400 Bad Request",
                serde_json::json!({"errcode": 400, "error": ["no"], "soft_logout": "maybe",
                                   "retry_after_ms": "soon"})
                .to_string(),
            );
        }
    };
    ("200 OK", body.to_string())
}

/// [`Mode::WrongTypes`]' `/sync` answers: 0, the room is where it should be and everything inside
/// it is wrong; 1, `rooms` an array; 2 (and above), the room a string.
fn wrong_sync(variant: u8) -> String {
    let room = "!r:localhost";
    let body = match variant {
        // A position of the right type, so that what is inside the room is read (and refused).
        0 => serde_json::json!({
            "next_batch": "s1_wrong_inside",
            "rooms": {
                "join": {room: {
                    "summary": {"m.joined_member_count": "2", "m.invited_member_count": "0",
                                "m.heroes": "@mallory:localhost"},
                    "state": {"events": {"type": "m.room.name", "content": {"name": "x"}}},
                    "timeline": {"events": 3, "limited": "no", "prev_batch": []},
                    "unread_notifications": {"notification_count": "1", "highlight_count": []},
                    "account_data": {"events": "m.tag"},
                    "ephemeral": {"events": null}
                }},
                "invite": "none",
                "leave": [],
            },
            "account_data": {"events": "m.push_rules"},
            "presence": 0,
        }),
        1 => serde_json::json!({
            "next_batch": "s1_rooms_an_array",
            "rooms": [{"join": {room: {}}}],
            "account_data": {"events": "m.push_rules"},
        }),
        _ => serde_json::json!({
            "next_batch": [],
            "rooms": {"join": {room: "joined"}, "invite": {room: 1}},
            "account_data": "none",
        }),
    };
    body.to_string()
}

/// `len` random bytes that are not UTF-8 (xorshift from `seed`; every 7th byte is a lone
/// continuation byte, so the result is never valid UTF-8 whatever the generator yields).
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if i % 7 == 0 {
                0x80 | (state as u8 & 0x3f)
            } else {
                state as u8
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_decoded_into_segments() {
        assert_eq!(
            segments("/_matrix/client/v3/rooms/%21r%3Alocalhost/event/%24e1"),
            ["rooms", "!r:localhost", "event", "$e1"]
        );
        let (status, body) = normal_answer("/_matrix/client/v3/rooms/%21r%3Alocalhost/event/%24e1");
        assert_eq!(status, "200 OK");
        let event: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(event["event_id"], "$e1");
    }

    #[test]
    fn the_hostile_answers_are_what_they_claim() {
        assert!(std::str::from_utf8(&garbage(4096, 1)).is_err());
        let sync = |variant| -> serde_json::Value { serde_json::from_str(&wrong_sync(variant)).unwrap() };
        assert!(!sync(0)["rooms"]["join"]["!r:localhost"]["state"]["events"].is_array());
        assert!(!sync(0)["account_data"]["events"].is_array());
        assert!(sync(1)["rooms"].is_array());
        for variant in 2..WRONG_SYNC_VARIANTS {
            assert!(!sync(variant)["next_batch"].is_string(), "{}", sync(variant));
        }
        let (_, event) = wrong_answer("/_matrix/client/v3/rooms/r/event/e");
        let event: serde_json::Value = serde_json::from_str(&event).unwrap();
        for field in ["type", "sender", "event_id"] {
            assert!(!event[field].is_string(), "{field}");
        }
        assert!(!event["content"].is_object() && !event["unsigned"].is_object());
        assert!(!event["origin_server_ts"].is_u64());
    }
}
