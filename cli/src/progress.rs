//! Progress lines for slow network steps: nothing when a step is quick, otherwise `label…` on
//! stderr once it has taken a second and `label… done in 2.3 s` (or `failed after`) when it ends.
//! Only stderr, so the `--json` output on stdout stays one machine-readable document.

use std::future::Future;
use std::io::Write;
use std::time::{Duration, Instant};

/// How long a step may take before it is worth telling the user about.
const SLOW_AFTER: Duration = Duration::from_secs(1);

/// Whether a step's result counts as done or as failed in its closing line.
pub trait StepResult {
    fn succeeded(&self) -> bool;
}

impl<T, E> StepResult for Result<T, E> {
    fn succeeded(&self) -> bool {
        self.is_ok()
    }
}

/// Resolving a push always ends with something to show or a reason not to.
impl StepResult for matrix_push::notify::Outcome {
    fn succeeded(&self) -> bool {
        true
    }
}

/// Runs `future`, telling the user on stderr when it takes longer than a second.
pub async fn step<F>(label: &str, future: F) -> F::Output
where
    F: Future,
    F::Output: StepResult,
{
    step_to(label, SLOW_AFTER, &mut std::io::stderr(), future).await
}

/// [`step`] with the threshold and the sink as parameters (tests use a short one and a buffer).
async fn step_to<F, W>(label: &str, slow_after: Duration, sink: &mut W, future: F) -> F::Output
where
    F: Future,
    F::Output: StepResult,
    W: Write,
{
    let started = Instant::now();
    let mut future = std::pin::pin!(future);
    if let Ok(output) = tokio::time::timeout(slow_after, future.as_mut()).await {
        return output;
    }
    // Progress is a courtesy: a closed stderr must not fail the command.
    let _ = writeln!(sink, "{label}…");
    let _ = sink.flush();
    let output = future.await;
    let took = seconds(started.elapsed());
    let ending = if output.succeeded() {
        format!("done in {took}")
    } else {
        format!("failed after {took}")
    };
    let _ = writeln!(sink, "{label}… {ending}");
    output
}

/// `2.3 s`: tenths are enough for a human watching.
fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    const THRESHOLD: Duration = Duration::from_millis(30);

    async fn finish_after(wait: Duration, ok: bool) -> Result<u8, ()> {
        tokio::time::sleep(wait).await;
        if ok { Ok(7) } else { Err(()) }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    }

    #[test]
    fn a_quick_step_prints_nothing() {
        let mut sink = Vec::new();
        let output = runtime().block_on(step_to(
            "fetching",
            THRESHOLD,
            &mut sink,
            finish_after(Duration::ZERO, true),
        ));
        assert_eq!(output, Ok(7));
        assert!(sink.is_empty(), "{}", String::from_utf8_lossy(&sink));
    }

    #[test]
    fn a_slow_step_says_it_started_and_how_it_ended() {
        let mut sink = Vec::new();
        let output = runtime().block_on(step_to(
            "fetching pushers",
            THRESHOLD,
            &mut sink,
            finish_after(THRESHOLD * 3, true),
        ));
        assert_eq!(output, Ok(7));
        let text = String::from_utf8_lossy(&sink);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0], "fetching pushers…");
        assert!(
            lines[1].starts_with("fetching pushers… done in ") && lines[1].ends_with(" s"),
            "{text}"
        );

        let mut sink = Vec::new();
        let output = runtime().block_on(step_to(
            "fetching rules",
            THRESHOLD,
            &mut sink,
            finish_after(THRESHOLD * 3, false),
        ));
        assert_eq!(output, Err(()));
        let text = String::from_utf8_lossy(&sink);
        assert!(
            text.lines()
                .nth(1)
                .is_some_and(|line| line.starts_with("fetching rules… failed after ")),
            "{text}"
        );
    }

    #[test]
    fn seconds_have_one_decimal() {
        assert_eq!(seconds(Duration::from_millis(2_345)), "2.3 s");
        assert_eq!(seconds(Duration::from_secs(12)), "12.0 s");
    }
}
