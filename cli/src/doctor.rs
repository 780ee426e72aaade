//! `matrix-push doctor`: checks the signed-in account end to end — the homeserver, the session,
//! the pushers and their gateways, the push rules, and on request a test push — and says in
//! plain words what is wrong and what to do about it.
//!
//! Each check is one small function that returns [`Check`]s; the judging of what was found is
//! kept in pure functions (no I/O) so it is unit-tested below.

use crate::Context;
use crate::args::Failure;
use crate::progress;
use matrix_push::Client;
use matrix_push::http::{HttpConfig, HttpError, Method, Request, Transport, redacted_url};
use matrix_push::ids::UserId;
use matrix_push::pushers::{
    self, GATEWAY_PATH, GatewayUrlProblem, ListedPusher, Pusher, PusherError, PusherKind,
};
use matrix_push::rules::{CompiledRuleset, PushContext, RuleKind, Ruleset};
use matrix_push::session::{Session, SessionError};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::time::{Duration, Instant};
use url::Url;

/// How long the homeserver gets to answer `/versions`.
const HOMESERVER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a push gateway gets to answer a probe or a test push.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(5);
const MASTER_RULE: &str = ".m.rule.master";
const LOGIN_AGAIN: &str = "sign in again with `matrix-push login`";

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// What a finding is about: the checks, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckName {
    /// The homeserver answers `/versions`.
    Homeserver,
    /// The saved session is valid.
    Session,
    /// There is a pusher, and its gateway is well-formed and answers.
    Pushers,
    /// The push rules do not silence everyday messages.
    Rules,
    /// A test push through each gateway (`--send-test`).
    TestPush,
}

impl CheckName {
    /// As the report and `--json` name it.
    fn as_str(self) -> &'static str {
        match self {
            CheckName::Homeserver => "homeserver",
            CheckName::Session => "session",
            CheckName::Pushers => "pushers",
            CheckName::Rules => "rules",
            CheckName::TestPush => "test-push",
        }
    }
}

/// One finding: a line of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub name: CheckName,
    pub status: Status,
    pub message: String,
    /// Machine-readable details for `--json`.
    pub extra: Map<String, Value>,
}

impl Check {
    fn new(name: CheckName, status: Status, message: impl Into<String>) -> Check {
        Check {
            name,
            status,
            message: message.into(),
            extra: Map::new(),
        }
    }

    fn with(mut self, key: &str, value: Value) -> Check {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// Names the pusher the finding is about, for `--json` readers.
    fn about(self, listed: &ListedPusher) -> Check {
        self.with("app_id", json!(listed.pusher.app_id))
            .with("pushkey", json!(listed.pusher.pushkey))
    }

    /// `[fail] pushers: …`, always one line (server messages can hold line breaks).
    fn line(&self) -> String {
        let message = self.message.split_whitespace().collect::<Vec<_>>().join(" ");
        format!("[{}] {}: {message}", self.status.as_str(), self.name.as_str())
    }

    fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("check".into(), json!(self.name.as_str()));
        object.insert("status".into(), json!(self.status.as_str()));
        object.insert("message".into(), json!(self.message));
        object.extend(self.extra.clone());
        Value::Object(object)
    }
}

/// The checks so far; human lines are printed as they come, since some checks take seconds.
struct Report<'a> {
    context: &'a Context,
    checks: Vec<Check>,
}

impl Report<'_> {
    fn add(&mut self, check: Check) {
        if !self.context.json {
            let _ = writeln!(std::io::stdout(), "{}", check.line());
        }
        self.checks.push(check);
    }

    fn add_all(&mut self, checks: Vec<Check>) {
        for check in checks {
            self.add(check);
        }
    }

    fn skip(&mut self, names: &[CheckName], reason: &str) {
        for name in names {
            self.add(Check::new(*name, Status::Skip, reason));
        }
    }

    fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    /// Prints the summary (or the JSON document); exit 1 when a check failed.
    fn finish(self) -> Result<(), Failure> {
        let failed = self.count(Status::Fail);
        let warnings = self.count(Status::Warn);
        let checks: Vec<Value> = self.checks.iter().map(Check::to_json).collect();
        self.context
            .print(json!({"ok": failed == 0, "checks": checks}), || {
                match (failed, warnings) {
                    (0, 0) => "no problems found".to_owned(),
                    (0, w) => format!("no problems found, {}", plural(w, "warning")),
                    (f, w) => format!(
                        "{} found, {}: see the [fail] lines",
                        plural(f, "problem"),
                        plural(w, "warning")
                    ),
                }
            });
        match failed {
            0 => Ok(()),
            n => Err(Failure::Failed(format!("doctor found {}", plural(n, "problem")))),
        }
    }
}

fn plural(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

pub async fn doctor(context: &Context, send_test: bool) -> Result<(), Failure> {
    let session = context
        .session_store
        .load()
        .map_err(|e| Failure::Failed(e.to_string()))?
        .ok_or_else(|| Failure::Failed("not signed in: run `matrix-push login` first".into()))?;
    // Short timeouts and no retries: the doctor reports what it sees, quickly.
    let probe = |timeout| {
        Transport::new(HttpConfig {
            request_timeout: timeout,
            connect_timeout: timeout,
            max_retries: 0,
            ..HttpConfig::default()
        })
        .map_err(|e| Failure::Failed(e.to_string()))
    };
    let mut report = Report {
        context,
        checks: Vec::new(),
    };

    let (check, homeserver) = check_homeserver(&probe(HOMESERVER_TIMEOUT)?, &session.homeserver).await;
    report.add(check);
    let Some(homeserver) = homeserver else {
        report.skip(
            &[
                CheckName::Session,
                CheckName::Pushers,
                CheckName::Rules,
                CheckName::TestPush,
            ],
            "not checked: the homeserver cannot be used",
        );
        return report.finish();
    };

    let client = context.signed_in()?;
    let check = check_session(&client, &session).await;
    let session_ok = check.status == Status::Ok;
    report.add(check);
    if !session_ok {
        report.skip(
            &[CheckName::Pushers, CheckName::Rules, CheckName::TestPush],
            "not checked: the session is not valid",
        );
        return report.finish();
    }

    let gateways = probe(GATEWAY_TIMEOUT)?;
    let (checks, usable) = check_pushers(&client, &gateways, &homeserver).await;
    report.add_all(checks);
    report.add(check_rules(&client, &session.user_id).await);
    if send_test {
        report.add_all(send_test_pushes(&gateways, &usable, &session.user_id).await);
    } else {
        report.skip(
            &[CheckName::TestPush],
            "pass --send-test to send a test push through each gateway",
        );
    }
    report.finish()
}

/// The server name of the signed-in user, for the ids of the doctor's made-up events and rooms
/// (`localhost` for a user id without one, which a saved session never has).
fn server_of(user_id: &str) -> &str {
    matrix_push::ids::server_name(user_id).unwrap_or("localhost")
}

// 1. The homeserver.

async fn check_homeserver(transport: &Transport, saved: &str) -> (Check, Option<Url>) {
    let Some(base) = Url::parse(saved).ok().and_then(matrix_push::urls::api_base) else {
        let message = format!("the saved homeserver {saved:?} is not an http(s) URL: {LOGIN_AGAIN}");
        return (Check::new(CheckName::Homeserver, Status::Fail, message), None);
    };
    let versions = matrix_push::urls::versions_url(&base);
    let started = Instant::now();
    let label = format!("reaching the homeserver {}", redacted_url(&base));
    let answer = progress::step(&label, transport.send(&Request::new(Method::Get, versions))).await;
    let check = judge_homeserver(&base, answer, started.elapsed());
    let usable = (check.status == Status::Ok).then_some(base);
    (check, usable)
}

fn judge_homeserver(base: &Url, answer: Result<Value, HttpError>, took: Duration) -> Check {
    let shown = redacted_url(base);
    let fail =
        |message: String| Check::new(CheckName::Homeserver, Status::Fail, message).with("url", json!(shown));
    match answer {
        Ok(body) => match newest_version(&body) {
            Some(newest) => Check::new(
                CheckName::Homeserver,
                Status::Ok,
                format!(
                    "{shown} is a Matrix homeserver (newest spec version {newest}), answered in {} ms",
                    took.as_millis()
                ),
            )
            .with("url", json!(shown))
            .with("round_trip_ms", json!(took.as_millis() as u64))
            .with("newest_version", json!(newest)),
            None => fail(format!(
                "{shown} answers, but not as a Matrix server (/_matrix/client/versions lists no \
                 versions): check the address, then {LOGIN_AGAIN}"
            )),
        },
        Err(HttpError::Network { message, .. }) => fail(format!(
            "cannot reach {shown} ({}): check that the server runs and this machine is online",
            root_cause(&message)
        )),
        Err(HttpError::Timeout { timeout, .. }) => fail(format!(
            "{shown} did not answer within {} s: the server or the network is down or overloaded",
            timeout.as_secs()
        )),
        Err(HttpError::Matrix(e)) => fail(format!(
            "{shown} answered HTTP {} to /_matrix/client/versions: not a Matrix homeserver there \
             (or a proxy in front of it is misconfigured)",
            e.status
        )),
        Err(HttpError::UnexpectedResponse { status, .. }) => fail(format!(
            "{shown} answered HTTP {status} to /_matrix/client/versions: not a Matrix homeserver \
             there (or a proxy in front of it is misconfigured)"
        )),
        Err(HttpError::InvalidUrl(reason)) => {
            fail(format!("{shown} cannot be used ({reason}): {LOGIN_AGAIN}"))
        }
        Err(HttpError::TooLarge { limit, .. }) => fail(format!(
            "{shown} answered /_matrix/client/versions with more than {limit} bytes: not a Matrix \
             homeserver there (or a proxy in front of it is misconfigured)"
        )),
        Err(other) => fail(format!("{shown}: {other}")),
    }
}

/// The newest of the `versions` a server lists (`r0.6.1` < `v1.1` < `v1.12`).
fn newest_version(body: &Value) -> Option<String> {
    let number = |version: &str| -> Option<Vec<u64>> {
        version
            .strip_prefix(['v', 'r'])?
            .split('.')
            .map(|part| part.parse().ok())
            .collect()
    };
    body.get("versions")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|version| Some((number(version)?, version)))
        .max()
        .map(|(_, version)| version.to_owned())
}

// 2. The session.

async fn check_session(client: &Client, saved: &Session) -> Check {
    let answer = progress::step("checking the session", client.whoami()).await;
    judge_session(saved, answer)
}

fn judge_session(saved: &Session, answer: Result<(UserId, Option<String>), SessionError>) -> Check {
    let fail = |message: String| Check::new(CheckName::Session, Status::Fail, message);
    match answer {
        Ok((user_id, device_id)) if user_id == saved.user_id => {
            let device_id = device_id.unwrap_or_else(|| saved.device_id.clone());
            Check::new(
                CheckName::Session,
                Status::Ok,
                format!("signed in as {user_id} (device {device_id})"),
            )
            .with("user_id", json!(user_id))
            .with("device_id", json!(device_id))
        }
        Ok((user_id, _)) => fail(format!(
            "the saved session is for {} but the server says the token belongs to {user_id}: {LOGIN_AGAIN}",
            saved.user_id
        )),
        Err(SessionError::SoftLoggedOut) => fail(format!(
            "the server logged this session out (a soft logout): {LOGIN_AGAIN} (the device is kept)"
        )),
        Err(SessionError::LoggedOut | SessionError::NotSignedIn) => fail(format!(
            "the server no longer knows this session (logged out elsewhere, or the device was \
             deleted): {LOGIN_AGAIN}"
        )),
        Err(SessionError::Http(HttpError::Matrix(e))) if e.is("M_UNKNOWN_TOKEN") => fail(format!(
            "the server does not accept the saved token: {LOGIN_AGAIN}"
        )),
        Err(other) => fail(format!("cannot check the session: {other}")),
    }
}

// 3. Pushers and their gateways.

/// How the report names a pusher: the app, a recognisable start of the pushkey, the device.
fn describe(listed: &ListedPusher) -> String {
    let Pusher {
        app_id,
        pushkey,
        device_display_name,
        ..
    } = &listed.pusher;
    let pushkey: String = if pushkey.chars().count() > 24 {
        pushkey.chars().take(16).chain(['…']).collect()
    } else {
        pushkey.clone()
    };
    match device_display_name.as_str() {
        "" => format!("{app_id} (pushkey {pushkey})"),
        device => format!("{app_id} (pushkey {pushkey}, device {device:?})"),
    }
}

/// An http pusher whose gateway answered the probe: worth a test push.
struct UsablePusher {
    pusher: ListedPusher,
    url: Url,
}

async fn check_pushers(
    client: &Client,
    gateways: &Transport,
    homeserver: &Url,
) -> (Vec<Check>, Vec<UsablePusher>) {
    let listed = progress::step("fetching the pushers", client.all_pushers()).await;
    let pushers = match listed {
        Ok(pushers) => pushers,
        Err(PusherError::Session(SessionError::MalformedResponse(_))) => {
            let message = "the server's list of pushers is malformed (no `pushers` array)";
            return (
                vec![Check::new(CheckName::Pushers, Status::Fail, message)],
                Vec::new(),
            );
        }
        Err(e) => {
            let message = format!("cannot list the pushers: {e}");
            return (
                vec![Check::new(CheckName::Pushers, Status::Fail, message)],
                Vec::new(),
            );
        }
    };
    let mut checks = vec![summarise_pushers(&pushers)];
    let mut usable = Vec::new();
    let homeserver_is_loopback = homeserver.host_str().is_some_and(matrix_push::urls::is_loopback);
    for pusher in pushers {
        if pusher.kind != PusherKind::Http {
            let kind = pusher.kind.as_str();
            checks.push(
                Check::new(
                    CheckName::Pushers,
                    Status::Skip,
                    format!(
                        "{kind} pusher {}: the homeserver delivers these itself, nothing to check from here",
                        describe(&pusher)
                    ),
                )
                .with("kind", json!(kind)),
            );
            continue;
        }
        let url = match gateway_url(&pusher) {
            Ok(url) => url,
            Err(problem) => {
                checks.push(problem);
                continue;
            }
        };
        if is_loopback_url(&url) && !homeserver_is_loopback {
            // A probe from here would test this machine, not what the homeserver can reach.
            checks.push(pusher_check(
                &pusher,
                &url,
                Status::Warn,
                format!(
                    "{}: the gateway URL {} is a loopback address, but the homeserver, not this \
                     machine, is what contacts the gateway — for it that address is itself, so the \
                     gateway must run on the homeserver's machine",
                    describe(&pusher),
                    redacted_url(&url)
                ),
            ));
            continue;
        }
        let label = format!("probing the gateway {}", redacted_url(&url));
        let answer = progress::step(&label, gateways.send(&Request::new(Method::Get, url.clone()))).await;
        let check = judge_gateway_probe(&pusher, &url, answer);
        if check.status == Status::Ok {
            usable.push(UsablePusher { pusher, url });
        }
        checks.push(check);
    }
    (checks, usable)
}

fn summarise_pushers(pushers: &[ListedPusher]) -> Check {
    let http = pushers.iter().filter(|p| p.kind == PusherKind::Http).count();
    let count = json!(pushers.len());
    if http == 0 {
        let others = match pushers.len() {
            0 => String::new(),
            n => format!(" (only {n} non-http pusher(s), e.g. email)"),
        };
        return Check::new(
            CheckName::Pushers,
            Status::Fail,
            format!(
                "this account receives no pushes{others}: register one with `matrix-push pushers \
                 ensure` or from the app"
            ),
        )
        .with("count", count);
    }
    let apps: Vec<&str> = pushers.iter().map(|p| p.pusher.app_id.as_str()).collect();
    Check::new(
        CheckName::Pushers,
        Status::Ok,
        format!("{}: {}", plural(pushers.len(), "pusher"), apps.join(", ")),
    )
    .with("count", count)
}

fn pusher_check(pusher: &ListedPusher, url: &Url, status: Status, message: String) -> Check {
    Check::new(CheckName::Pushers, status, message)
        .with("gateway_url", json!(redacted_url(url)))
        .about(pusher)
}

/// The pusher's gateway URL, or the check that says why it cannot work (the core's
/// [`pushers::check_gateway_url`]; plain http to another host still delivers, so it passes here).
fn gateway_url(pusher: &ListedPusher) -> Result<Url, Check> {
    let fail = |message: String| Check::new(CheckName::Pushers, Status::Fail, message).about(pusher);
    let text = &pusher.pusher.gateway_url;
    if text.is_empty() {
        return Err(fail(format!(
            "{}: the pusher has no gateway URL (data.url): register it again",
            describe(pusher)
        )));
    }
    let not_http = || {
        fail(format!(
            "{}: the gateway URL {text:?} is not an http(s) URL: register the pusher again with a \
             correct one",
            describe(pusher)
        ))
    };
    let url = Url::parse(text).map_err(|_| not_http())?;
    match pushers::check_gateway_url(&url) {
        Ok(()) | Err(GatewayUrlProblem::PlainHttp) => Ok(url),
        Err(GatewayUrlProblem::NotHttp { .. }) => Err(not_http()),
        Err(GatewayUrlProblem::WrongPath { .. }) => Err(fail(format!(
            "{}: the gateway URL {} must have the path {GATEWAY_PATH} (the homeserver posts to it \
             as given): register the pusher again with that path",
            describe(pusher),
            redacted_url(&url)
        ))),
        // A problem a newer core knows: its own message says what is wrong.
        Err(problem) => Err(fail(format!(
            "{}: the gateway URL {} cannot be used: {problem}",
            describe(pusher),
            redacted_url(&url)
        ))),
    }
}

fn judge_gateway_probe(pusher: &ListedPusher, url: &Url, answer: Result<Value, HttpError>) -> Check {
    let who = describe(pusher);
    let shown = redacted_url(url);
    let (status, message) = match http_status(&answer) {
        // Sygnal answers a GET with 405, a UnifiedPush Matrix gateway (and the project's in the
        // CLI) 200 with its discovery answer; 400 is a gateway too.
        Some(code @ (405 | 200 | 400)) => (
            Status::Ok,
            format!("{who}: the gateway {shown} answers (HTTP {code} to a GET, as push gateways do)"),
        ),
        Some(404) => (
            Status::Fail,
            format!(
                "{who}: something answers at {shown} but there is no push gateway at that path \
                 (HTTP 404): check the gateway's address and register the pusher again"
            ),
        ),
        Some(code) => (
            Status::Warn,
            format!(
                "{who}: {shown} answered HTTP {code} to a GET, where push gateways answer 405: it \
                 may not be a push gateway, or it is failing"
            ),
        ),
        None => {
            let why = match &answer {
                Err(HttpError::Timeout { timeout, .. }) => {
                    format!("no answer within {} s", timeout.as_secs())
                }
                Err(HttpError::Network { message, .. }) => root_cause(message).to_owned(),
                Err(other) => other.to_string(),
                Ok(_) => String::new(),
            };
            let loopback = if is_loopback_url(url) {
                " (it is a loopback address: the homeserver, not this machine, contacts the \
                 gateway, so it must run on the homeserver's machine)"
            } else {
                " (the homeserver, not this machine, contacts the gateway: check from there too)"
            };
            (
                Status::Fail,
                format!(
                    "{who}: the gateway {shown} is unreachable ({why}), so no push is delivered: \
                     start the gateway or register the pusher with its right address{loopback}"
                ),
            )
        }
    };
    let check = pusher_check(pusher, url, status, message);
    match http_status(&answer) {
        Some(code) => check.with("http_status", json!(code)),
        None => check,
    }
}

/// The innermost cause of a network error ("Connection refused (os error 111)"): the chain
/// before it ("error sending request: client error (Connect): …") says nothing to a user.
fn root_cause(message: &str) -> &str {
    message.rsplit(": ").next().unwrap_or(message)
}

/// The HTTP status of an answer, `None` when there was none (unreachable, timeout).
fn http_status(answer: &Result<Value, HttpError>) -> Option<u16> {
    match answer {
        Ok(_) => Some(200),
        Err(HttpError::Matrix(e)) => Some(e.status),
        Err(HttpError::UnexpectedResponse { status, .. }) => Some(*status),
        Err(_) => None,
    }
}

fn is_loopback_url(url: &Url) -> bool {
    url.host_str().is_some_and(matrix_push::urls::is_loopback)
}

// 4. Push rules.

async fn check_rules(client: &Client, user_id: &str) -> Check {
    match progress::step("fetching the push rules", client.fetch_push_rules()).await {
        Ok(rules) => analyse_rules(&rules.global, user_id),
        Err(e) => Check::new(
            CheckName::Rules,
            Status::Fail,
            format!("cannot fetch the push rules: {e}"),
        ),
    }
}

/// A kind of event the user would expect a notification for.
struct Case {
    name: &'static str,
    /// How the report calls such events ("messages in group rooms").
    what: &'static str,
    event: Value,
    members: u64,
}

fn cases(user_id: &str) -> Vec<Case> {
    let server = server_of(user_id);
    let sender = format!("@matrix-push-doctor:{server}");
    let room_id = format!("!matrix-push-doctor:{server}");
    let event = |event_type: &str, content: Value| {
        json!({
            "type": event_type, "sender": sender, "room_id": room_id,
            "event_id": "$matrix-push-doctor", "origin_server_ts": 0, "content": content,
        })
    };
    let text = json!({"msgtype": "m.text", "body": "hello"});
    let encrypted = json!({
        "algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnAc", "session_id": "doctor",
        "sender_key": "doctor", "device_id": "DOCTOR",
    });
    let mention = json!({
        "msgtype": "m.text", "body": "are you there?", "m.mentions": {"user_ids": [user_id]},
    });
    vec![
        Case {
            name: "group_message",
            what: "messages in group rooms",
            event: event("m.room.message", text.clone()),
            members: 5,
        },
        Case {
            name: "direct_message",
            what: "messages in direct chats",
            event: event("m.room.message", text),
            members: 2,
        },
        Case {
            name: "encrypted_group_message",
            what: "encrypted messages in group rooms",
            event: event("m.room.encrypted", encrypted.clone()),
            members: 5,
        },
        Case {
            name: "encrypted_direct_message",
            what: "encrypted messages in direct chats",
            event: event("m.room.encrypted", encrypted),
            members: 2,
        },
        Case {
            name: "mention",
            what: "messages mentioning you",
            event: event("m.room.message", mention),
            members: 5,
        },
    ]
}

/// Why a case does not notify: the rule that decides it.
#[derive(Debug, PartialEq)]
struct Silence {
    case: &'static str,
    kind: Option<RuleKind>,
    rule_id: Option<String>,
    /// The deciding rule is a disabled one (nothing else matched).
    disabled: bool,
    reason: String,
}

/// Judges the account's rules: `.m.rule.master`, then which everyday events would stay silent
/// and which rule makes them so — with the real evaluator.
fn analyse_rules(ruleset: &Ruleset, user_id: &str) -> Check {
    let compiled = CompiledRuleset::new(ruleset.clone());
    let all = cases(user_id);
    let silences: Vec<Silence> = all
        .iter()
        .filter_map(|case| why_silent(&compiled, case, user_id))
        .collect();
    let master_enabled = ruleset
        .get(RuleKind::Override, MASTER_RULE)
        .is_some_and(|rule| rule.enabled);
    let silent_json: Vec<Value> = silences
        .iter()
        .map(|s| json!({"case": s.case, "kind": s.kind, "rule_id": s.rule_id, "disabled": s.disabled, "reason": s.reason}))
        .collect();
    let details = silences
        .iter()
        .map(|s| s.reason.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let (status, message) = if master_enabled {
        (
            Status::Fail,
            format!(
                "all notifications are off: the master rule {MASTER_RULE} is enabled — turn \
                 notifications on in the app, or `matrix-push rules disable override {MASTER_RULE}`"
            ),
        )
    } else if silences.len() == all.len() {
        (Status::Fail, format!("the rules suppress everything: {details}"))
    } else if !silences.is_empty() {
        (Status::Warn, details)
    } else {
        (
            Status::Ok,
            "messages in group rooms and direct chats, encrypted or not, and mentions all notify".to_owned(),
        )
    };
    Check::new(CheckName::Rules, status, message)
        .with("master_enabled", json!(master_enabled))
        .with("silent", Value::Array(silent_json))
}

fn why_silent(compiled: &CompiledRuleset, case: &Case, user_id: &str) -> Option<Silence> {
    let mut cx = PushContext::new(user_id);
    cx.member_count = Some(case.members);
    let evaluation = compiled.evaluate(&case.event, &cx);
    if evaluation.notify() {
        return None;
    }
    let what = case.what;
    if let (Some(kind), Some(rule_id)) = (evaluation.kind, evaluation.rule_id) {
        let reason = if rule_id == MASTER_RULE {
            format!("{what} never notify: the master rule {MASTER_RULE} is enabled")
        } else {
            format!("{what} never notify: {kind} rule {rule_id} matches first and does not notify")
        };
        return Some(Silence {
            case: case.name,
            kind: Some(kind),
            rule_id: Some(rule_id),
            disabled: false,
            reason,
        });
    }
    let silence = match disabled_rule_that_would_notify(compiled.ruleset(), &case.event, &cx) {
        Some((kind, rule_id)) => Silence {
            case: case.name,
            reason: format!(
                "{what} never notify: {rule_id} is disabled (`matrix-push rules enable {kind} {rule_id}`)"
            ),
            kind: Some(kind),
            rule_id: Some(rule_id),
            disabled: true,
        },
        None => Silence {
            case: case.name,
            kind: None,
            rule_id: None,
            disabled: false,
            reason: format!("{what} never notify: no push rule matches them"),
        },
    };
    Some(silence)
}

/// The first disabled rule that, enabled, would decide the event and notify: what was switched
/// off when no rule matches at all.
fn disabled_rule_that_would_notify(
    ruleset: &Ruleset,
    event: &Value,
    cx: &PushContext,
) -> Option<(RuleKind, String)> {
    RuleKind::ALL.into_iter().find_map(|kind| {
        ruleset
            .rules(kind)
            .iter()
            .enumerate()
            .filter(|(_, rule)| !rule.enabled)
            .find_map(|(index, rule)| {
                let mut trial = ruleset.clone();
                trial.rules_mut(kind)[index].enabled = true;
                let evaluation = CompiledRuleset::new(trial).evaluate(event, cx);
                (evaluation.notify() && evaluation.rule_id.as_deref() == Some(rule.rule_id.as_str()))
                    .then(|| (kind, rule.rule_id.clone()))
            })
    })
}

// 5. A test push.

async fn send_test_pushes(gateways: &Transport, usable: &[UsablePusher], user_id: &str) -> Vec<Check> {
    if usable.is_empty() {
        return vec![Check::new(
            CheckName::TestPush,
            Status::Skip,
            "no pusher with a working gateway to send a test push through (see the pushers lines)",
        )];
    }
    let server = server_of(user_id);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut checks = Vec::new();
    for UsablePusher { pusher, url } in usable {
        let event_id = format!(
            "$matrix-push-doctor-{}-{}-{}",
            now.as_millis(),
            std::process::id(),
            checks.len()
        );
        let body = notify_request(pusher, &event_id, server, now.as_secs());
        let request = Request::new(Method::Post, url.clone())
            .json(body)
            .idempotent(false);
        let label = format!("sending a test push to {}", redacted_url(url));
        let answer = progress::step(&label, gateways.send(&request)).await;
        checks.push(judge_test_push(pusher, url, answer).with("event_id", json!(event_id)));
    }
    checks
}

/// A Push Gateway API notify request for `pusher`, as a homeserver would send it.
fn notify_request(pusher: &ListedPusher, event_id: &str, server: &str, now_secs: u64) -> Value {
    json!({
        "notification": {
            "event_id": event_id,
            "room_id": format!("!matrix-push-doctor:{server}"),
            "counts": {"unread": 1},
            "prio": "high",
            "devices": [{
                "app_id": pusher.pusher.app_id,
                "pushkey": pusher.pusher.pushkey,
                "pushkey_ts": pusher.pushkey_ts.unwrap_or(now_secs),
                "data": pusher.pusher.device_data(),
            }],
        }
    })
}

fn judge_test_push(pusher: &ListedPusher, url: &Url, answer: Result<Value, HttpError>) -> Check {
    let who = describe(pusher);
    let fail = |message: String| Check::new(CheckName::TestPush, Status::Fail, message).about(pusher);
    let rejected = match &answer {
        Ok(body) => body
            .get("rejected")
            .and_then(Value::as_array)
            .is_some_and(|keys| {
                keys.iter()
                    .any(|key| key.as_str() == Some(&pusher.pusher.pushkey))
            }),
        Err(_) => false,
    };
    match answer {
        Ok(_) if rejected => fail(format!(
            "{who}: the gateway rejected the pushkey: the token is stale or the app id unknown; \
             the homeserver deletes such pushers — the app must register again"
        ))
        .with("rejected", json!(true)),
        Ok(_) => {
            let check = Check::new(
                CheckName::TestPush,
                Status::Ok,
                format!(
                    "{who}: the gateway accepted a test push; the phone should show a notification \
                     now — the app will not find the event and shows its generic fallback"
                ),
            );
            check.about(pusher)
        }
        Err(HttpError::Matrix(e)) => fail(format!(
            "{who}: the gateway {} answered HTTP {} ({}: {})",
            redacted_url(url),
            e.status,
            e.errcode,
            e.message
        ))
        .with("http_status", json!(e.status)),
        Err(HttpError::UnexpectedResponse { status, message, .. }) => fail(format!(
            "{who}: the gateway {} answered HTTP {status}: {message}",
            redacted_url(url)
        ))
        .with("http_status", json!(status)),
        Err(other) => fail(format!("{who}: the test push was not delivered: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix_push::rules::server_default_rules;

    const USER: &str = "@alice:example.org";

    fn defaults() -> Ruleset {
        server_default_rules(USER)
    }

    fn silent_cases(check: &Check) -> Vec<String> {
        check.extra["silent"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["case"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn default_rules_are_fine() {
        let check = analyse_rules(&defaults(), USER);
        assert_eq!(check.status, Status::Ok, "{}", check.message);
        assert!(silent_cases(&check).is_empty());
        assert_eq!(check.extra["master_enabled"], json!(false));
    }

    #[test]
    fn the_master_rule_turns_everything_off() {
        let mut rules = defaults();
        rules.rules_mut(RuleKind::Override)[0].enabled = true;
        let check = analyse_rules(&rules, USER);
        assert_eq!(check.status, Status::Fail);
        assert!(
            check.message.contains("all notifications are off"),
            "{}",
            check.message
        );
        assert_eq!(silent_cases(&check).len(), 5);
        assert_eq!(check.extra["silent"][0]["rule_id"], json!(MASTER_RULE));
    }

    #[test]
    fn a_disabled_message_rule_is_named() {
        let mut rules = defaults();
        let message = rules
            .rules_mut(RuleKind::Underride)
            .iter_mut()
            .find(|r| r.rule_id == ".m.rule.message")
            .unwrap();
        message.enabled = false;
        let check = analyse_rules(&rules, USER);
        assert_eq!(check.status, Status::Warn, "{}", check.message);
        assert_eq!(silent_cases(&check), ["group_message"]);
        assert!(
            check.message.starts_with(
                "messages in group rooms never notify: .m.rule.message is disabled (`matrix-push rules \
                 enable underride .m.rule.message`)"
            ),
            "{}",
            check.message
        );
        assert_eq!(check.extra["silent"][0]["disabled"], json!(true));
    }

    #[test]
    fn an_override_that_silences_everything_fails() {
        let mut rules = defaults();
        let silence = matrix_push::rules::Rule::from_value(
            RuleKind::Override,
            0,
            &json!({"rule_id": "shh", "default": false, "enabled": true, "conditions": [], "actions": ["dont_notify"]}),
        )
        .unwrap();
        rules.rules_mut(RuleKind::Override).insert(0, silence);
        let check = analyse_rules(&rules, USER);
        assert_eq!(check.status, Status::Fail);
        assert!(
            check.message.starts_with("the rules suppress everything: "),
            "{}",
            check.message
        );
        assert!(
            check.message.contains(
                "messages in group rooms never notify: override rule shh matches first and does not notify"
            ),
            "{}",
            check.message
        );
        assert_eq!(silent_cases(&check).len(), 5);
    }

    #[test]
    fn newest_version_compares_numerically() {
        let body = json!({"versions": ["r0.6.1", "v1.2", "v1.12", "v1.9", "weird"]});
        assert_eq!(newest_version(&body).as_deref(), Some("v1.12"));
        assert_eq!(newest_version(&json!({"versions": []})), None);
        assert_eq!(newest_version(&json!({"flows": []})), None);
    }

    #[test]
    fn homeserver_answers_are_judged() {
        let base = Url::parse("https://matrix.example.org/").unwrap();
        let ok = judge_homeserver(
            &base,
            Ok(json!({"versions": ["v1.11"]})),
            Duration::from_millis(42),
        );
        assert_eq!(ok.status, Status::Ok);
        assert_eq!(ok.extra["round_trip_ms"], json!(42));
        assert!(ok.message.contains("v1.11") && ok.message.contains("42 ms"));
        let web_page = judge_homeserver(
            &base,
            Err(HttpError::UnexpectedResponse {
                url: String::new(),
                status: 404,
                message: "<html>\n</html>".into(),
            }),
            Duration::ZERO,
        );
        assert_eq!(web_page.status, Status::Fail);
        assert!(web_page.message.contains("not a Matrix homeserver"));
        let refused = judge_homeserver(
            &base,
            Err(HttpError::Network {
                url: String::new(),
                message: "could not connect: connection refused".into(),
            }),
            Duration::ZERO,
        );
        assert!(refused.line().starts_with("[fail] homeserver: cannot reach"));
    }

    fn pusher() -> ListedPusher {
        let mut pusher = Pusher::new(
            "key1",
            "io.example.fcm",
            "https://push.example.org/_matrix/push/v1/notify",
        );
        pusher.device_display_name = "phone".into();
        ListedPusher {
            kind: PusherKind::Http,
            pushkey_ts: None,
            pusher,
        }
    }

    #[test]
    fn gateway_probes_are_judged() {
        let p = pusher();
        let url = gateway_url(&p).unwrap();
        let status_answer = |status: u16| {
            Err(HttpError::UnexpectedResponse {
                url: String::new(),
                status,
                message: String::new(),
            })
        };
        assert_eq!(
            judge_gateway_probe(&p, &url, status_answer(405)).status,
            Status::Ok
        );
        assert_eq!(judge_gateway_probe(&p, &url, Ok(json!({}))).status, Status::Ok);
        let missing = judge_gateway_probe(&p, &url, status_answer(404));
        assert_eq!(missing.status, Status::Fail);
        assert!(missing.message.contains("no push gateway at that path"));
        let down = judge_gateway_probe(
            &p,
            &url,
            Err(HttpError::Timeout {
                url: String::new(),
                timeout: GATEWAY_TIMEOUT,
            }),
        );
        assert_eq!(down.status, Status::Fail);
        assert!(down.message.contains("unreachable"), "{}", down.message);

        let mut wrong_path = pusher();
        wrong_path.pusher.gateway_url = "https://push.example.org/notify".into();
        let check = gateway_url(&wrong_path).unwrap_err();
        assert!(check.message.contains(GATEWAY_PATH), "{}", check.message);
    }

    #[test]
    fn the_test_push_is_a_homeserver_notify_request() {
        let body = notify_request(&pusher(), "$e", "example.org", 1_700_000_000);
        let device = &body["notification"]["devices"][0];
        assert_eq!(device["app_id"], json!("io.example.fcm"));
        assert_eq!(device["pushkey"], json!("key1"));
        assert_eq!(device["pushkey_ts"], json!(1_700_000_000u64));
        assert_eq!(
            device["data"],
            json!({"format": "event_id_only"}),
            "no url in data"
        );
        assert_eq!(
            body["notification"]["room_id"],
            json!("!matrix-push-doctor:example.org")
        );
        assert_eq!(body["notification"]["prio"], json!("high"));

        let url = gateway_url(&pusher()).unwrap();
        let accepted = judge_test_push(&pusher(), &url, Ok(json!({"rejected": []})));
        assert_eq!(accepted.status, Status::Ok);
        let rejected = judge_test_push(&pusher(), &url, Ok(json!({"rejected": ["key1"]})));
        assert_eq!(rejected.status, Status::Fail);
        assert!(rejected.message.contains("rejected the pushkey"));
    }

    #[test]
    fn lines_are_one_line_and_json_is_flat() {
        let check = Check::new(CheckName::Pushers, Status::Warn, "a\nb").with("count", json!(2));
        assert_eq!(check.line(), "[warn] pushers: a b");
        assert_eq!(
            check.to_json(),
            json!({"check": "pushers", "status": "warn", "message": "a\nb", "count": 2})
        );
    }
}
