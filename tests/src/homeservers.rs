//! The test homeservers for a plain `cargo test`: when the harness variables are not set (as
//! `./scripts/test` and `eval "$(scripts/synapse env)"` set them), the suites use the instances
//! of `scripts/synapse` that run already, and start the missing ones — installing Synapse on
//! first use, with its progress on the terminal.
//!
//! Once per `cargo test` run, however many test binaries (and processes they start) ask: a file
//! lock (`target/synapse/harness.lock`) serialises them, and instances started here are
//! recorded with the `cargo` processes using them (`target/synapse/harness-owners`). A watchdog
//! stops those instances when no such process is left, unless `MATRIX_PUSH_KEEP_SYNAPSE=1` asks
//! to keep them for fast re-runs (`scripts/synapse stop-all` stops them). Instances started by
//! hand or by `./scripts/test` are reused and left alone.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The instances the suites use.
const INSTANCES: [&str; 4] = ["main", "ratelimited", "doomed", "legacy"];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn synapse_script() -> PathBuf {
    repository().join("scripts/synapse")
}

/// The harness variables of running instances, starting what is missing. Panics with the reason
/// when the homeservers cannot be had (no Python with `venv`, say): a suite must never pass
/// without them.
pub fn ensure() -> HashMap<String, String> {
    let state = repository().join("target/synapse");
    fs::create_dir_all(&state).expect("target/synapse can be created");
    let lock = File::create(state.join("harness.lock")).expect("the harness lock file");
    lock.lock().expect("the harness lock");
    let running = running_instances();
    let missing: Vec<&str> = INSTANCES
        .into_iter()
        .filter(|name| !running.iter().any(|r| r == name))
        .collect();
    let owners = state.join("harness-owners");
    if missing.is_empty() {
        // Started by an earlier run that is still using them: this run uses them too.
        if owners.exists() {
            add_owner(&owners);
        }
    } else {
        say(&format!(
            "starting the test homeservers {} with scripts/synapse (on a machine without \
             Synapse, installing it first takes about a minute)…",
            missing.join(", ")
        ));
        run_visible(
            &["install"],
            "Synapse could not be installed (it needs Python 3 with venv)",
        );
        // In parallel: each instance has its own folder and port.
        let starting: Vec<_> = missing
            .iter()
            .map(|name| {
                Command::new(synapse_script())
                    .args(["start", name])
                    .spawn()
                    .expect("scripts/synapse runs")
            })
            .collect();
        for mut start in starting {
            let status = start.wait().expect("scripts/synapse runs");
            assert!(status.success(), "a test homeserver did not start: see above");
        }
        if std::env::var("MATRIX_PUSH_KEEP_SYNAPSE").as_deref() == Ok("1") {
            say(
                "MATRIX_PUSH_KEEP_SYNAPSE=1: the homeservers keep running (`scripts/synapse stop-all` stops them)",
            );
        } else {
            add_owner(&owners);
            start_watchdog(&owners, &state.join("harness.lock"), &missing);
        }
    }
    let variables = harness_variables();
    drop(lock);
    variables
}

/// Starts `name` afresh (stopping what runs as it): for the instance a test kills, whose last
/// user may have killed it already (a second run on the same instances).
pub fn restart(name: &str) {
    run_visible(&["start", name], "a test homeserver did not start");
}

/// A line on the terminal even while the test harness captures the test's output.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "matrix-push tests: {line}");
}

/// The instances `scripts/synapse status` reports running.
fn running_instances() -> Vec<String> {
    let output = Command::new(synapse_script())
        .arg("status")
        .output()
        .expect("scripts/synapse runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains(": running"))
        .filter_map(|line| line.split(':').next())
        .map(str::to_owned)
        .collect()
}

/// Runs `scripts/synapse ARGS` with its output on the terminal; panics with `failure`.
fn run_visible(args: &[&str], failure: &str) {
    let status = Command::new(synapse_script())
        .args(args)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .expect("scripts/synapse runs");
    assert!(
        status.success(),
        "{failure}: see `scripts/synapse {}` above",
        args.join(" ")
    );
}

/// The `cargo` process running this test binary (its parent) is one more user of the instances.
fn add_owner(owners: &Path) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(owners)
        .expect("the harness owners file");
    writeln!(file, "{}", std::os::unix::process::parent_id()).expect("the harness owners file");
}

/// A detached shell that stops `instances` once no owner process is alive (checked under the
/// harness lock, so that a run that has just begun to use them keeps them).
fn start_watchdog(owners: &Path, lock: &Path, instances: &[&str]) {
    let script = r#"
        owners="$1"; lock="$2"; synapse="$3"; shift 3
        while :; do
            sleep 1
            exec 9>"$lock"
            flock 9
            alive=0
            for pid in $(cat "$owners" 2>/dev/null); do
                kill -0 "$pid" 2>/dev/null && alive=1
            done
            if [ "$alive" = 0 ]; then
                for name in "$@"; do "$synapse" stop "$name" >/dev/null 2>&1; done
                rm -f "$owners"
                exit 0
            fi
            exec 9>&-
        done
    "#;
    // The outer shell starts the watchdog in the background and returns at once: the watchdog
    // outlives this process (and is no zombie of it).
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"sh -c "$0" matrix-push-harness-watchdog "$@" &"#)
        .arg(script)
        .arg(owners)
        .arg(lock)
        .arg(synapse_script())
        .args(instances)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Its own process group: a Ctrl-C on the test run does not stop it before the clean-up.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let started = command.status().expect("the harness watchdog starts");
    assert!(started.success(), "the harness watchdog did not start");
}

/// `scripts/synapse env`, read into name → value.
fn harness_variables() -> HashMap<String, String> {
    let output = Command::new(synapse_script())
        .arg("env")
        .output()
        .expect("scripts/synapse runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.trim_matches('\'').to_owned()))
        .collect()
}
