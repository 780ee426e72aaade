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

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

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
