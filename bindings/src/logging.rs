//! Routes the library's `tracing` output to the app's logger (Logcat, os_log). Secrets never
//! reach it: the core logs no tokens, passwords or request bodies.

use std::sync::{Arc, RwLock};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::SubscriberExt;

/// How much a log line matters, most important first (`setLogger` passes its level and above).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed (a push that could not be resolved, a sync that stopped).
    Error,
    /// Something unexpected the library recovered from.
    Warn,
    /// What the library did, one line per operation.
    Info,
    /// Details for debugging.
    Debug,
    /// Everything, request by request.
    Trace,
}

/// The app's logger. (Not `Logger`: Swift apps import `os.Logger` too.)
#[uniffi::export(with_foreign)]
pub trait MatrixPushLogger: Send + Sync {
    /// One log line: `target` is the library's module (`matrix_push::notify`, …).
    fn log(&self, level: LogLevel, target: String, message: String);
}

static LOGGER: RwLock<Option<(Arc<dyn MatrixPushLogger>, LogLevel)>> = RwLock::new(None);

/// Sends log lines at `level` and above to `logger` (replacing any logger set before). A release
/// build of the library has no `Debug` or `Trace` lines (compiled out to keep it small); a debug
/// build has them all.
#[uniffi::export]
pub fn set_logger(logger: Arc<dyn MatrixPushLogger>, level: LogLevel) {
    *LOGGER.write().unwrap_or_else(|e| e.into_inner()) = Some((logger, level));
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(ForeignLayer);
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

struct ForeignLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ForeignLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let guard = LOGGER.read().unwrap_or_else(|e| e.into_inner());
        let Some((logger, max)) = guard.as_ref() else {
            return;
        };
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::TRACE => LogLevel::Trace,
        };
        if level > *max {
            return;
        }
        let mut line = Line::default();
        event.record(&mut line);
        logger.log(level, event.metadata().target().to_owned(), line.0);
    }
}

/// The event's message followed by its other fields as `name=value`.
#[derive(Default)]
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}
