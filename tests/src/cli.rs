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

/// How a child process ended, what it printed, and what it cost.
#[derive(Debug)]
pub struct Measured {
    /// The exit code, `None` when a signal ended it (see `signal`).
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub wall: std::time::Duration,
    /// The peak resident set size of the process, in KiB (`ru_maxrss` from `wait4`).
    pub max_rss_kib: u64,
}

/// Runs `command` (stdin closed), waits for it with `wait4` to get its peak RSS, and kills it
/// when it runs longer than `give_up` (then `signal` is `Some(9)`).
///
/// `wait4` on the child's pid, not `Child::wait`: only `wait4` hands back the child's own
/// resource usage (`getrusage(RUSAGE_CHILDREN)` would mix in every child reaped before).
pub fn run_measured(mut command: Command, give_up: std::time::Duration) -> Measured {
    use std::io::Read;
    let started = std::time::Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let pid = child.id() as libc::pid_t;
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
    // The watchdog kills the child if it outlives `give_up`; until wait4 returns the pid is ours
    // (a zombie at worst), so the kill cannot hit another process.
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(give_up).is_err() {
            // SAFETY: kill(2) with a pid this process spawned and has not reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to a status and a rusage that outlive the call.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::Interrupted,
            "wait4({pid}) failed: {error}"
        );
    }
    let wall = started.elapsed();
    let _ = done.send(());
    let _ = watchdog.join();
    // The child is reaped: `Child` is dropped without waiting (dropping never waits).
    drop(child);
    Measured {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        wall,
        max_rss_kib: usage.ru_maxrss.max(0) as u64,
    }
}
