//! `peak-rss REPORT COMMAND [ARGS…]`: runs COMMAND (stdio inherited), waits for it with `wait4`
//! and writes its peak resident set size to the file REPORT as
//! `max_rss_kib=N floor_kib=F code=C signal=S`; exits with COMMAND's exit code (128 + the signal
//! when a signal ended it).
//!
//! Why a separate, small process: Linux counts in a process's `ru_maxrss` the resident size of
//! the memory it had before `exec` — and a child started with `posix_spawn`/`vfork` (what
//! `std::process::Command` does) runs on its parent's memory until then. A child of a test
//! process thus reports at least the test process's own peak. Spawned from here, the floor is
//! this program's peak (`floor_kib`, its VmHWM, ~1–2 MiB), reported beside the measurement.
//!
//! The child gets SIGKILL when this process dies, so a test's watchdog that kills this process
//! leaves nothing running.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let [report, program, rest @ ..] = args.as_slice() else {
        eprintln!("usage: peak-rss REPORT COMMAND [ARGS…]");
        return ExitCode::from(2);
    };
    let floor_kib = own_peak_kib();
    let mut command = Command::new(program);
    command.args(rest);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("peak-rss: cannot run {program:?}: {e}");
            return ExitCode::from(127);
        }
    };
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to a status and a rusage that outlive the call.
        if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            eprintln!("peak-rss: wait4({pid}): {error}");
            return ExitCode::from(125);
        }
    }
    let (code, signal) = if libc::WIFSIGNALED(status) {
        (-1, libc::WTERMSIG(status))
    } else {
        (libc::WEXITSTATUS(status), 0)
    };
    let line = format!(
        "max_rss_kib={} floor_kib={floor_kib} code={code} signal={signal}\n",
        usage.ru_maxrss
    );
    if let Err(e) = std::fs::write(report, line) {
        eprintln!("peak-rss: cannot write {report:?}: {e}");
        return ExitCode::from(125);
    }
    if signal != 0 {
        ExitCode::from((128 + signal).clamp(0, 255) as u8)
    } else {
        ExitCode::from(code.clamp(0, 255) as u8)
    }
}

/// This process's own peak RSS (VmHWM), in KiB: the floor under the child's measurement.
fn own_peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
