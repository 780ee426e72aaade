//! The `matrix-push` command line: an account's sign-in, pushers and push rules against its
//! homeserver (`account`, `online_rules`), an end-to-end check of the account (`doctor`),
//! resolving a push as the phone would and the project's push gateway (`push`), and the offline
//! tools (push-rule evaluation and explanation, payload decoding: `offline`). This file parses the
//! global options and dispatches; `args` has the small parser and the exit codes, `progress` the
//! progress lines of slow steps.
//!
//! Run `matrix-push --help` for the commands. Exit codes: 0 ok, 1 the operation failed (or
//! `doctor` found a problem), 2 usage or invalid input.

mod account;
mod args;
mod doctor;
mod offline;
mod online_rules;
mod progress;
mod push;

use args::Failure;
use matrix_push::Client;
use matrix_push::session::{FileSessionStore, KeyringSessionStore, SessionStore};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

pub const USAGE: &str = "\
usage: matrix-push [--store DIR | --account NAME] [--json] COMMAND …

Global options (anywhere on the line):
  --store DIR     the state folder (synced rules, caches) and the session file DIR/session.json.
                  Default: $XDG_STATE_HOME/matrix-push (or ~/.local/state/matrix-push), with the
                  session in the OS keyring (service io.matrixpush.cli, account default).
  --account NAME  another account kept in the keyring (account NAME) with its state in
                  $XDG_STATE_HOME/matrix-push/accounts/NAME; letters, digits, '.', '_', '-'.
  --json        machine-readable output (one JSON document, or JSON Lines for streams).

Network steps that take longer than a second say so on stderr (\"fetching the pushers…\", then
\"… done in 2.3 s\"); stdout keeps only the result.

Account:
  matrix-push login USER_ID_OR_LOCALPART [--homeserver URL] [--password-stdin]
      Signs in with a password: read from stdin with --password-stdin, else from the environment
      variable MATRIX_PUSH_PASSWORD (never from the command line). Without --homeserver the
      homeserver is discovered from a full user id (@alice:example.org).
  matrix-push whoami            who the saved session belongs to (asks the server)
  matrix-push logout            signs out (the server deletes the device and its pushers)
  matrix-push doctor [--send-test]
      Checks the signed-in account end to end and says what is wrong and what to do: the
      homeserver (reachable, a Matrix server), the session, the pushers and whether their push
      gateways answer, the push rules (which everyday messages would stay silent, and the rule
      that decides it), and with --send-test a test push through each gateway. One line per
      finding: [ok], [warn], [fail] or [skip], the check, plain words. Exits with 1 when a check
      failed (warnings are fine).

Pushers:
  matrix-push pushers list
  matrix-push pushers set|ensure --pushkey K --app-id A --gateway URL [--format event_id_only|full]
                 [--app-name NAME] [--device-name NAME] [--lang L] [--profile-tag T]
                 [--default-payload JSON]
      set: sets (creates or replaces) the pusher; ensure: only when the server does not already
      have exactly it. Default format event_id_only; the default payload goes to the device
      as it is (e.g. '{\"aps\":{\"mutable-content\":1}}' for an iOS extension).
  matrix-push pushers remove --app-id A --pushkey K

Push rules:
  matrix-push rules show [--fetch]      the stored rules (or fetched now): one line per user rule
                                        and a summary
  matrix-push rules sync [--once]       fetches, then long-polls and prints each change until
                                        stopped; --once fetches and exits
  matrix-push rules keyword add|remove WORD
  matrix-push rules keyword list
  matrix-push rules room-mode get ROOM_ID
  matrix-push rules room-mode set ROOM_ID all|mentions|mute
  matrix-push rules enable|disable KIND RULE_ID
      KIND: override, content, postcontent, room, sender or underride.
  matrix-push rules eval [FILE]
      Reads JSON Lines of {id, rules, event, context} from FILE or stdin and writes one line per
      input line: {\"id\", \"actions\", \"rule_id\", \"kind\"}, or {\"id\", \"error\"} when a line
      cannot be read.
  matrix-push rules explain FILE [--json] [--id ID]
      Explains one case: every rule in evaluation order and why it matched or not. FILE holds one
      case, or JSON Lines of cases with --id picking one (default: the first).

Pushes:
  matrix-push decode --provider fcm|fcm-legacy|apns|unifiedpush|gateway [FILE]
      Decodes one push payload (JSON) from FILE or stdin, as the phone receives it from that
      provider, and writes one JSON object: {\"event_id\", \"room_id\", \"unread\", \"missed_calls\",
      \"prio\", \"badge_only\", \"type\", \"sender\", \"sender_display_name\", \"room_name\", \"body\",
      \"extra\"}, null where the payload does not say. Exits with 2 when the payload is unusable.
  matrix-push handle FILE --provider fcm|fcm-legacy|apns|unifiedpush|gateway [--deadline-ms N]
      Decodes the payload (FILE or - for stdin) and resolves it with the saved session within
      the deadline (default 10000 ms, what a notification extension allows): prints the
      notification (title, body, sound, highlight) or why nothing shows — a generic one when the
      server could not answer in time.
  matrix-push gateway [--listen ADDR] [--fcm APP_IDS] [--apns APP_IDS] [--reject PUSHKEYS]
                      [--save DIR] [--exec COMMAND] [--handle] [--count N]
      The project's push gateway (what Sygnal + FCM/APNs would do) on ADDR (default
      127.0.0.1:5090); set a pusher's URL to http://ADDR/_matrix/push/v1/notify. Prints every
      payload a phone would receive: app ids ending in .fcm (or listed in --fcm, comma-separated)
      get the FCM v1 data map, .apns (or --apns) the APNs payload; other app ids and --reject
      pushkeys are answered as rejected. --save writes each payload to DIR/NNNN-fcm|apns.json
      (for `handle`); --exec hands each on to `sh -c COMMAND` (the payload on stdin;
      MATRIX_PUSH_PROVIDER, MATRIX_PUSH_APP_ID and MATRIX_PUSH_PUSHKEY set), e.g.
      --exec 'xcrun simctl push booted io.matrixpush.sample -' for the iOS Simulator;
      --handle resolves each with the saved session; --count stops after N.

  matrix-push --version
  matrix-push --help

Exit codes:
  0  ok
  1  the operation failed (the server said no, the network, not signed in)
  2  usage error or invalid input";

/// The device name of the CLI's sign-ins.
const DEVICE_NAME: &str = "matrix-push CLI";

/// Where the command's state and session live.
pub struct Context {
    pub store_dir: PathBuf,
    pub session_store: Arc<dyn SessionStore>,
    pub json: bool,
}

impl Context {
    /// A client for the saved session's homeserver, signed in with it.
    pub fn signed_in(&self) -> Result<Client, Failure> {
        matrix_push::ClientBuilder::for_saved_session(self.session_store.clone())
            .store_dir(&self.store_dir)
            .device_display_name(DEVICE_NAME)
            .restore()
            .map_err(|e| Failure::Failed(e.to_string()))?
            .ok_or_else(|| Failure::Failed("not signed in: run `matrix-push login` first".into()))
    }

    pub fn client(&self, homeserver: url::Url) -> Result<Client, Failure> {
        Client::builder(homeserver)
            .store_dir(&self.store_dir)
            .session_store(self.session_store.clone())
            .device_display_name(DEVICE_NAME)
            .build()
            .map_err(|e| Failure::Failed(e.to_string()))
    }

    /// Prints one result: `value` with --json, else `human`.
    pub fn print(&self, value: serde_json::Value, human: impl FnOnce() -> String) {
        use std::io::Write;
        let text = if self.json { value.to_string() } else { human() };
        if !text.is_empty() {
            let _ = writeln!(std::io::stdout(), "{text}");
        }
    }
}

fn default_state_dir() -> Result<PathBuf, Failure> {
    let base = match std::env::var_os("XDG_STATE_HOME").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".local/state"))
            .ok_or_else(|| {
                Failure::Usage("neither XDG_STATE_HOME nor HOME is set: pass --store DIR".into())
            })?,
    };
    Ok(base.join("matrix-push"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Failed(message)) => {
            eprintln!("matrix-push: {}", one_line(&message));
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("matrix-push: {}", one_line(&message));
            ExitCode::from(2)
        }
        // The offline commands keep their messages as they always were (with the usage).
        Err(Failure::Legacy(message)) => {
            eprintln!("matrix-push: {message}");
            ExitCode::from(2)
        }
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run(all: &[&str]) -> Result<(), Failure> {
    // The global options, wherever they are.
    let mut store = None;
    let mut account = None;
    let mut json = false;
    let mut rest = Vec::new();
    let mut iter = all.iter();
    while let Some(arg) = iter.next() {
        match *arg {
            "--store" => {
                let dir = iter
                    .next()
                    .ok_or_else(|| Failure::Usage("--store needs a folder".into()))?;
                store = Some(*dir);
            }
            "--account" => {
                let name = iter
                    .next()
                    .ok_or_else(|| Failure::Usage("--account needs a name".into()))?;
                account = Some(*name);
            }
            "--json" => json = true,
            other => {
                if let Some(dir) = other.strip_prefix("--store=") {
                    store = Some(dir);
                } else if let Some(name) = other.strip_prefix("--account=") {
                    account = Some(name);
                } else {
                    rest.push(other);
                }
            }
        }
    }
    if store == Some("") {
        return Err(Failure::Usage("--store needs a folder".into()));
    }
    if let Some(name) = account {
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if name.is_empty() || name.starts_with('.') || !name.chars().all(valid) {
            return Err(Failure::Usage(format!(
                "--account {name:?}: use letters, digits, '.', '_' and '-' (not first '.')"
            )));
        }
        if store.is_some() {
            return Err(Failure::Usage(
                "--store and --account do not go together: the store holds one account".into(),
            ));
        }
    }
    let context = || -> Result<Context, Failure> {
        Ok(match store {
            Some(dir) => Context {
                store_dir: PathBuf::from(dir),
                session_store: Arc::new(FileSessionStore::new(dir)),
                json,
            },
            None => {
                let (store_dir, account) = match account {
                    Some(name) if name != "default" => {
                        (default_state_dir()?.join("accounts").join(name), name)
                    }
                    _ => (default_state_dir()?, "default"),
                };
                Context {
                    store_dir,
                    session_store: Arc::new(KeyringSessionStore::new("io.matrixpush.cli", account)),
                    json,
                }
            }
        })
    };
    match rest.as_slice() {
        ["rules", "eval"] => offline::eval_command(None).map_err(Failure::Legacy),
        ["rules", "eval", file] => offline::eval_command(Some(file)).map_err(Failure::Legacy),
        ["rules", "explain", args @ ..] => {
            let mut args = args.to_vec();
            if json {
                args.push("--json");
            }
            offline::explain(&args).map_err(Failure::Legacy)
        }
        ["decode", args @ ..] => offline::decode(args).map_err(Failure::Legacy),
        ["--version" | "-V"] => {
            println!("matrix-push {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        ["--help" | "-h" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        [
            command @ ("login" | "whoami" | "logout" | "doctor" | "pushers" | "rules" | "handle" | "gateway"),
            args @ ..,
        ] => {
            let context = context()?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Failure::Failed(format!("cannot start the runtime: {e}")))?;
            runtime.block_on(async {
                match (*command, args) {
                    ("login", args) => account::login(&context, args).await,
                    ("whoami", args) => account::whoami(&context, args).await,
                    ("logout", args) => account::logout(&context, args).await,
                    ("doctor", args) => doctor::doctor(&context, args).await,
                    ("pushers", args) => account::pushers(&context, args).await,
                    ("handle", args) => push::handle(&context, args).await,
                    ("gateway", args) => push::gateway(&context, args).await,
                    (_, args) => online_rules::rules(&context, args).await,
                }
            })
        }
        [] => Err(Failure::Usage("no command given (see matrix-push --help)".into())),
        [other, ..] => Err(Failure::Usage(format!(
            "unknown command {other:?} (see matrix-push --help)"
        ))),
    }
}
