//! The demo's scenario (`tests/src/bin/demo.rs`, README command 1 through `scripts/demo`) against
//! the harness Synapse, for both push services: every step's decision must be the expected one,
//! and the timeline must say what the phone showed. (`scripts/test` also runs `scripts/demo`
//! itself, with its own Synapse, and interrupts a second run to check the clean-up.)

use serde_json::Value;
use std::process::Command;

fn run_demo(provider: &str) -> (String, Value) {
    let report = matrix_push_tests::temp_dir("demo-report").join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--provider", provider, "--report"])
        .arg(&report)
        .output()
        .expect("the demo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "demo --provider {provider}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let steps = report["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["ok"] == true), "{report}");
    (stdout, report)
}

fn step<'a>(report: &'a Value, label: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"].as_str().is_some_and(|l| l.contains(label)))
        .unwrap_or_else(|| panic!("no step {label:?} in {report}"))
}

#[test]
fn the_demo_decides_every_step_as_expected_with_apns() {
    let (stdout, report) = run_demo("apns");
    assert_eq!(report["steps"].as_array().unwrap().len(), 11, "{report}");
    assert!(stdout.contains("11/11 steps decided as expected"), "{stdout}");

    let decision = |label| step(&report, label)["decision"].as_str().unwrap().to_owned();
    assert!(decision("direct message").starts_with("SHOW \"Bob\""), "{report}");
    assert!(decision("direct message").contains("sound default"));
    assert!(decision("mentions Alice in Project Falcon").contains("· highlight ·"));
    assert!(decision("keyword").contains("rule falcon"));
    assert_eq!(
        decision("writes in Random"),
        "no push; silent (room rule of Random)"
    );
    assert!(decision("mentions Alice in Random").contains("rule .m.rule.is_user_mention"));
    assert_eq!(decision("edits"), "no push; silent (an edit)");
    assert_eq!(decision("reacts"), "no push; silent (rule .m.rule.reaction)");
    assert!(decision("invites").contains("invited you to Weekend plans"));
    assert!(decision("calls").contains("sound ring"));
    // Real ciphertext, decrypted by the phone's built-in crypto and judged on the cleartext: the
    // keyword the server could not see.
    let encrypted = decision("end-to-end encrypted");
    assert!(
        encrypted.contains("Falcon lands at dawn") && encrypted.contains("rule falcon"),
        "{encrypted}"
    );
    let reads = decision("reads everything");
    assert!(
        reads.starts_with("badges [") && reads.contains(", 0]; cleared "),
        "{reads}"
    );
    for room in ["the DM", "Project Falcon", "Random"] {
        assert!(reads.contains(room), "{room} not cleared: {reads}");
    }

    // Pushes arrived and were timed; the warm path takes one request (the sync that brings the
    // room and the rules up to date brings the event too).
    let direct = step(&report, "direct message");
    assert!(direct["push_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{direct}");
    assert_eq!(step(&report, "calls")["requests"], 1, "{report}");
}

#[test]
fn the_demo_decides_every_step_as_expected_with_fcm() {
    let (stdout, _) = run_demo("fcm");
    assert!(stdout.contains("FCM v1 data {"), "{stdout}");
    assert!(stdout.contains("FCM gets no push for a badge of 0"), "{stdout}");
}
