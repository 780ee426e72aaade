//! `matrix-push doctor` against the harness Synapse, run as a user would run it (the built
//! binary, the session in a file store): a healthy account, and one broken thing at a time — a
//! pusher gone, a gateway gone or wrong, rules that silence messages, a rejected pushkey, a
//! homeserver that cannot be reached, no session — each named in plain words with the right exit
//! code, in human and `--json` output.

use matrix_push_tests::cli::{cli, fails, login, ok, stderr, stdout};
use matrix_push_tests::gateway::Gateway;
use matrix_push_tests::{Homeserver, temp_dir, unique};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

const FCM_APP: &str = "io.matrixpush.tests.doctor.fcm";
const WAIT: Duration = Duration::from_secs(10);

/// A new user signed in through the CLI into a fresh store; returns the store, id and password.
async fn signed_in_store(hs: &Homeserver, name: &str) -> (PathBuf, String, String) {
    let (user_id, password) = hs.register(name, false).await;
    let store = temp_dir(name);
    login(&store, &user_id, &password);
    (store, user_id, password)
}

/// Registers a pusher for the CLI's session through `pushers ensure`; returns its pushkey.
fn ensure_pusher(store: &Path, gateway_url: &str) -> String {
    let pushkey = unique("doctor-key");
    ok(
        store,
        &[
            "pushers",
            "ensure",
            "--pushkey",
            &pushkey,
            "--app-id",
            FCM_APP,
            "--gateway",
            gateway_url,
        ],
    );
    pushkey
}

fn doctor(store: &Path, args: &[&str]) -> Output {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    cli(store, &all, "")
}

/// The report's finding lines (`[ok] homeserver: …`), without the summary.
fn findings(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter(|line| line.starts_with('['))
        .map(str::to_owned)
        .collect()
}

fn doctor_json(store: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = doctor(store, &all);
    let out = stdout(&output);
    let report = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("doctor --json printed no JSON ({e}): {out} / {}", stderr(&output)));
    (output.status.code(), report)
}

/// The checks of a JSON report with this name.
fn checks<'a>(report: &'a Value, name: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .expect("a list of checks")
        .iter()
        .filter(|check| check["check"] == json!(name))
        .collect()
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout {} stderr {}",
        stdout(output),
        stderr(output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_account_passes_and_the_test_push_arrives() {
    let hs = Homeserver::main();
    let gateway = Gateway::start().await.unwrap();
    let (store, user_id, _) = signed_in_store(&hs, "dochealthy").await;
    let pushkey = ensure_pusher(&store, &gateway.url());

    let output = doctor(&store, &[]);
    assert_exit(&output, 0);
    let lines = findings(&output);
    let names: Vec<&str> = lines
        .iter()
        .map(|line| line.split(' ').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "homeserver:",
            "session:",
            "pushers:",
            "pushers:",
            "rules:",
            "test-push:"
        ],
        "{lines:#?}"
    );
    for line in &lines[..5] {
        assert!(line.starts_with("[ok] "), "{lines:#?}");
    }
    assert!(lines[1].contains(&user_id), "{}", lines[1]);
    assert!(lines[3].contains("answers (HTTP 405"), "{}", lines[3]);
    assert!(
        lines[5].starts_with("[skip] test-push: pass --send-test"),
        "{}",
        lines[5]
    );
    assert!(stdout(&output).contains("no problems found"));

    let (code, report) = doctor_json(&store, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["ok"], json!(true), "{report}");
    let homeserver = checks(&report, "homeserver")[0];
    assert_eq!(homeserver["status"], json!("ok"));
    assert!(homeserver["round_trip_ms"].is_u64(), "{homeserver}");
    assert!(
        homeserver["newest_version"]
            .as_str()
            .is_some_and(|v| v.starts_with('v')),
        "{homeserver}"
    );
    let gateway_check = checks(&report, "pushers")[1];
    assert_eq!(gateway_check["pushkey"], json!(pushkey));
    assert_eq!(gateway_check["http_status"], json!(405));

    // The test push goes to the gateway as a homeserver's notify request would.
    gateway.drain();
    let output = doctor(&store, &["--send-test"]);
    assert_exit(&output, 0);
    let test_push = findings(&output)
        .into_iter()
        .find(|line| line.contains("test-push"))
        .expect("a test-push line");
    assert!(
        test_push.starts_with("[ok] test-push: ") && test_push.contains("accepted a test push"),
        "{test_push}"
    );
    let delivery = gateway
        .next_delivery_for(&pushkey, WAIT)
        .await
        .expect("the test push reaches the gateway");
    assert_eq!(delivery.app_id, FCM_APP);
    assert!(
        delivery.notification["event_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("$matrix-push-doctor-")),
        "{}",
        delivery.notification
    );
    assert_eq!(delivery.notification["counts"]["unread"], json!(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pusher_removed_behind_the_apps_back_fails() {
    let hs = Homeserver::main();
    let gateway = Gateway::start().await.unwrap();
    let (store, user_id, password) = signed_in_store(&hs, "docremoved").await;
    let pushkey = ensure_pusher(&store, &gateway.url());

    // Another device of the same user removes it.
    let elsewhere = hs.another_device(&user_id, &password).await;
    elsewhere.remove_pusher(FCM_APP, &pushkey).await.unwrap();

    let output = doctor(&store, &[]);
    assert_exit(&output, 1);
    let lines = findings(&output);
    assert!(
        lines.iter().any(
            |line| line.starts_with("[fail] pushers: this account receives no pushes")
                && line.contains("matrix-push pushers ensure")
        ),
        "{lines:#?}"
    );
    let err = stderr(&output);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("matrix-push: doctor found 1 problem"), "{err}");

    let (code, report) = doctor_json(&store, &["--send-test"]);
    assert_eq!(code, Some(1));
    assert_eq!(report["ok"], json!(false));
    let pushers = checks(&report, "pushers");
    assert_eq!(pushers[0]["status"], json!("fail"), "{report}");
    assert_eq!(pushers[0]["count"], json!(0));
    assert_eq!(checks(&report, "test-push")[0]["status"], json!("skip"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_that_is_gone_or_wrong_fails() {
    let hs = Homeserver::main();
    let gateway = Gateway::start().await.unwrap();
    let (store, _, _) = signed_in_store(&hs, "docgone").await;
    let url = gateway.url();
    ensure_pusher(&store, &url);
    // Something answers there, but no push gateway: the homeserver itself.
    let not_a_gateway = format!(
        "http://{}/_matrix/push/v1/notify",
        hs.url
            .host_str()
            .zip(hs.url.port())
            .map(|(h, p)| format!("{h}:{p}"))
            .unwrap()
    );
    let wrong_key = ensure_pusher(&store, &not_a_gateway);
    drop(gateway);

    let output = doctor(&store, &["--send-test"]);
    assert_exit(&output, 1);
    let lines = findings(&output);
    let gone = lines
        .iter()
        .find(|line| line.contains(&url))
        .expect("a line about the gone gateway");
    assert!(
        gone.starts_with("[fail] pushers: ") && gone.contains("unreachable"),
        "{gone}"
    );
    assert!(gone.contains("the homeserver, not this machine"), "{gone}");
    let wrong = lines
        .iter()
        .find(|line| line.contains(&not_a_gateway))
        .expect("a line about the wrong gateway");
    assert!(
        wrong.starts_with("[fail] pushers: ") && wrong.contains("no push gateway at that path"),
        "{wrong}"
    );
    assert!(
        lines.iter().any(|line| line.starts_with("[skip] test-push")),
        "nothing to send a test push through: {lines:#?}"
    );

    let (_, report) = doctor_json(&store, &[]);
    let wrong = checks(&report, "pushers")
        .into_iter()
        .find(|check| check["pushkey"] == json!(wrong_key))
        .expect("the wrong gateway's check");
    assert_eq!(wrong["status"], json!("fail"));
    assert_eq!(wrong["http_status"], json!(404));
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_that_silence_messages_are_named() {
    let hs = Homeserver::main();
    let gateway = Gateway::start().await.unwrap();
    let (store, _, _) = signed_in_store(&hs, "docrules").await;
    ensure_pusher(&store, &gateway.url());

    ok(&store, &["rules", "disable", "underride", ".m.rule.message"]);
    let output = doctor(&store, &[]);
    assert_exit(&output, 0);
    let rules = findings(&output)
        .into_iter()
        .find(|line| line.contains("rules:"))
        .expect("a rules line");
    assert!(
        rules.starts_with("[warn] rules: messages in group rooms never notify: .m.rule.message is disabled"),
        "{rules}"
    );
    let (code, report) = doctor_json(&store, &[]);
    assert_eq!(code, Some(0));
    let check = checks(&report, "rules")[0];
    assert_eq!(check["status"], json!("warn"));
    assert_eq!(check["silent"][0]["rule_id"], json!(".m.rule.message"), "{check}");
    assert_eq!(check["silent"][0]["case"], json!("group_message"), "{check}");

    ok(&store, &["rules", "enable", "override", ".m.rule.master"]);
    let output = doctor(&store, &[]);
    assert_exit(&output, 1);
    let rules = findings(&output)
        .into_iter()
        .find(|line| line.contains("rules:"))
        .expect("a rules line");
    assert!(
        rules.starts_with("[fail] rules: all notifications are off"),
        "{rules}"
    );
    let (_, report) = doctor_json(&store, &[]);
    assert_eq!(checks(&report, "rules")[0]["master_enabled"], json!(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_pushkey_fails_the_test_push() {
    let hs = Homeserver::main();
    let gateway = Gateway::start().await.unwrap();
    let (store, _, _) = signed_in_store(&hs, "docrejected").await;
    let pushkey = ensure_pusher(&store, &gateway.url());
    gateway.reject(&pushkey);

    let output = doctor(&store, &["--send-test"]);
    assert_exit(&output, 1);
    let test_push = findings(&output)
        .into_iter()
        .find(|line| line.contains("test-push"))
        .expect("a test-push line");
    assert!(
        test_push.starts_with("[fail] test-push: ") && test_push.contains("rejected the pushkey"),
        "{test_push}"
    );
    let (code, report) = doctor_json(&store, &["--send-test"]);
    assert_eq!(code, Some(1));
    let check = checks(&report, "test-push")[0];
    assert_eq!(check["rejected"], json!(true), "{check}");
    assert_eq!(check["pushkey"], json!(pushkey));
    assert!(gateway.pending().is_empty(), "nothing was delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_homeserver_fails_and_the_rest_is_skipped() {
    let hs = Homeserver::main();
    let (store, _, _) = signed_in_store(&hs, "docnohs").await;
    let file = store.join("session.json");
    let mut session: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let token = session["access_token"].as_str().unwrap().to_owned();
    session["homeserver"] = json!("http://127.0.0.1:9/");
    std::fs::write(&file, session.to_string()).unwrap();

    let output = doctor(&store, &["--send-test"]);
    assert_exit(&output, 1);
    let lines = findings(&output);
    assert!(
        lines[0].starts_with("[fail] homeserver: cannot reach http://127.0.0.1:9/"),
        "{lines:#?}"
    );
    let skipped: Vec<&str> = lines[1..]
        .iter()
        .map(|line| {
            assert!(line.starts_with("[skip] "), "{line}");
            line.split(' ').nth(1).unwrap_or_default()
        })
        .collect();
    assert_eq!(skipped, ["session:", "pushers:", "rules:", "test-push:"]);

    let (code, report) = doctor_json(&store, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(report["ok"], json!(false));
    let statuses: Vec<(&Value, &Value)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["check"], &c["status"]))
        .collect();
    assert_eq!(statuses[0], (&json!("homeserver"), &json!("fail")));
    assert!(
        statuses[1..].iter().all(|(_, s)| **s == json!("skip")),
        "{report}"
    );
    // The token is never shown.
    for shown in [stdout(&output), stderr(&output), report.to_string()] {
        assert!(!shown.contains(&token), "the access token was printed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_session_it_says_so_in_one_line() {
    let store = temp_dir("docnobody");
    let err = fails(&doctor(&store, &[]), 1, "doctor without a session");
    assert!(err.contains("not signed in"), "{err}");
    fails(&doctor(&store, &["--bogus"]), 2, "doctor with an unknown option");
    fails(&doctor(&store, &["extra"]), 2, "doctor with an argument");
}
