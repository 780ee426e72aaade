//! Running the built `matrix-push` command line in tests, as a user would.

use crate::cli_binary;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs the CLI with `--store store`, `stdin` piped in.
pub fn cli(store: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = cli_command(&["--store"]);
    command.arg(store).args(args);
    run(command, stdin)
}

/// Runs a prepared CLI command (see [`cli_command`]) with `stdin` piped in.
pub fn run(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e} (build it first)", cli_binary().display()));
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The CLI with `args` and nothing else (no `--store`), without a password in the environment.
pub fn cli_command(args: &[&str]) -> Command {
    let mut command = Command::new(cli_binary());
    command.args(args).env_remove("MATRIX_PUSH_PASSWORD");
    command
}

/// A finished command's stdout, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A finished command's stderr, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(store: &Path, args: &[&str]) -> String {
    let output = cli(store, args, "");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: stdout {} stderr {}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// Runs a command with `--json` that must succeed; returns what it printed, parsed.
pub fn ok_json(store: &Path, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let out = ok(store, &args);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {out}"))
}

/// Asserts the exit code and that the error is one line on stderr.
pub fn fails(output: &Output, code: i32, what: &str) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{what}: stderr {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: not one line: {err:?}");
    assert!(err.starts_with("matrix-push: "), "{what}: {err}");
    err
}

/// Signs `user_id` in through `matrix-push login` (password on stdin) into the file store `store`.
pub fn login(store: &Path, user_id: &str, password: &str) {
    let output = cli(
        store,
        &["login", user_id, "--password-stdin"],
        &format!("{password}\n"),
    );
    assert_eq!(output.status.code(), Some(0), "login: {}", stderr(&output));
}

/// A long-running command (e.g. `gateway`) whose stdout lines arrive on a channel; killed on drop.
pub struct Running {
    child: std::process::Child,
    /// The command's stdout, a line at a time.
    pub lines: std::sync::mpsc::Receiver<String>,
}

impl Running {
    /// Starts `matrix-push --store store ARGS…`.
    pub fn start(store: &Path, args: &[&str]) -> Running {
        let mut child = Command::new(cli_binary())
            .arg("--store")
            .arg(store)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e} (build it first)", cli_binary().display()));
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// The next stdout line as JSON, waiting up to `timeout`.
    pub fn next_json(&self, timeout: std::time::Duration) -> Value {
        let line = self
            .lines
            .recv_timeout(timeout)
            .unwrap_or_else(|e| panic!("no line from the command within {timeout:?}: {e}"));
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Waits for the command to exit by itself; its exit code.
    pub fn wait(mut self) -> Option<i32> {
        self.child.wait().ok().and_then(|status| status.code())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a child process ended, what it printed, and what it cost.
#[derive(Debug)]
pub struct Measured {
    /// The exit code, `None` when a signal ended it (see `signal`).
    pub code: Option<i32>,
    /// The signal that ended the process, `None` when it exited.
    pub signal: Option<i32>,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
    /// How long it ran, start to end.
    pub wall: std::time::Duration,
    /// The peak resident set size of the process, in KiB (`ru_maxrss` from `wait4`).
    pub max_rss_kib: u64,
    /// The least `max_rss_kib` can be whatever the process does: the peak of the small launcher
    /// it is started from (see `tests/src/bin/peak-rss.rs`).
    pub floor_kib: u64,
}

/// The `peak-rss` launcher built beside the tests (same target folder and profile).
pub fn peak_rss_binary() -> std::path::PathBuf {
    let binary = cli_binary().with_file_name("peak-rss");
    assert!(
        binary.is_file(),
        "{} is missing: build it with `cargo build -p matrix-push-tests --bin peak-rss`",
        binary.display()
    );
    binary
}

/// Runs `command` (stdin closed) and measures its wall time and peak RSS; kills it when it runs
/// longer than `give_up` (then `signal` is `Some(9)`).
///
/// The peak comes from `wait4` on the child's pid, called by the small `peak-rss` launcher, not
/// from here: on Linux a child's `ru_maxrss` includes the resident size of the process it was
/// spawned from (the memory it ran on until `exec`), so measured from a test process it would
/// read at least the test's own RSS. `Child::wait` would give no usage at all.
pub fn run_measured(command: Command, give_up: std::time::Duration) -> Measured {
    use std::io::Read;
    let report = std::env::temp_dir().join(format!("{}.peak-rss", crate::unique("measured")));
    let mut launched = Command::new(peak_rss_binary());
    launched
        .arg(&report)
        .arg(command.get_program())
        .args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => launched.env(name, value),
            None => launched.env_remove(name),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        launched.current_dir(dir);
    }
    let started = std::time::Instant::now();
    let mut child = launched
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {launched:?}: {e}"));
    // Drained on threads: a child blocked on a full pipe would never exit.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    // Past `give_up` the launcher is killed, and its child with it (PR_SET_PDEATHSIG).
    let deadline = started + give_up;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the launcher") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().expect("waiting for the killed launcher");
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    let wall = started.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let line = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    let field = |name: &str| -> Option<i64> {
        line.split_whitespace()
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
    };
    let Some(max_rss_kib) = field("max_rss_kib") else {
        // Killed by the watchdog (no report), or the launcher failed.
        use std::os::unix::process::ExitStatusExt;
        return Measured {
            code: status.code(),
            signal: status.signal(),
            stdout,
            stderr,
            wall,
            max_rss_kib: 0,
            floor_kib: 0,
        };
    };
    let signal = field("signal").filter(|s| *s != 0).map(|s| s as i32);
    Measured {
        code: if signal.is_some() {
            None
        } else {
            field("code").map(|c| c as i32)
        },
        signal,
        stdout,
        stderr,
        wall,
        max_rss_kib: max_rss_kib.max(0) as u64,
        floor_kib: field("floor_kib").unwrap_or(0).max(0) as u64,
    }
}
