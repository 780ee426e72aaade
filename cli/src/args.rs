//! The command line's grammar (clap, derive): every command and option as a type, with the help
//! text `--help` prints at every level; and how failures become exit codes and one-line messages
//! (clap's own usage errors included).

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use matrix_push::ids::{IdError, RoomId};
use matrix_push::payload::Provider;
use matrix_push::pushers::PusherError;
use matrix_push::rules::RuleKind;
use matrix_push::session::SessionError;
use matrix_push::settings::RoomNotificationMode;
use matrix_push::settings::SettingsError;
use matrix_push::sync::SyncError;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::ExitCode;

/// The heading of `--store`, `--account` and `--json` in every command's help.
const GLOBAL: &str = "Global options (anywhere on the line)";

/// What `--help` ends with.
const EXIT_CODES: &str = "\
Exit codes:
  0  ok
  1  the operation failed (the server said no, the network, not signed in; doctor found a problem)
  2  usage error or invalid input

Network steps that take longer than a second say so on stderr (\"fetching the pushers…\", then
\"… done in 2.3 s\"); stdout keeps only the result.";

/// Matrix push notifications from the command line: sign in, manage pushers and push rules,
/// check an account end to end, decode and resolve pushes, run a local push gateway.
#[derive(Debug, Parser)]
#[command(
    name = "matrix-push",
    version,
    after_help = EXIT_CODES,
    max_term_width = 100,
    args_override_self = true
)]
pub struct Cli {
    /// The state folder (synced rules, caches) and the session file DIR/session.json. Default:
    /// $XDG_STATE_HOME/matrix-push (or ~/.local/state/matrix-push), with the session in the OS
    /// keyring (service io.matrixpush.cli, account default).
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL)]
    pub store: Option<PathBuf>,
    /// Another account kept in the keyring (account NAME) with its state in
    /// $XDG_STATE_HOME/matrix-push/accounts/NAME; letters, digits, '.', '_', '-'.
    #[arg(long, global = true, value_name = "NAME", help_heading = GLOBAL)]
    pub account: Option<String>,
    /// Machine-readable output: one JSON document, or JSON Lines for streams (anywhere on the
    /// line).
    #[arg(long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    json: u8,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    pub fn json(&self) -> bool {
        self.json > 0
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Signs in with a password.
    ///
    /// The password is read from stdin with --password-stdin, else from the environment variable
    /// MATRIX_PUSH_PASSWORD (never from the command line). Without --homeserver the homeserver
    /// is discovered from a full user id (@alice:example.org).
    Login {
        /// A full user id (@alice:example.org), or a localpart with --homeserver.
        #[arg(value_name = "USER_ID_OR_LOCALPART")]
        user: String,
        /// The homeserver's URL or server name (discovered from the user id when left out).
        #[arg(long, value_name = "URL")]
        homeserver: Option<String>,
        /// Reads the password from stdin (one line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Who the saved session belongs to (asks the server).
    Whoami,
    /// Signs out (the server deletes the device and its pushers).
    Logout,
    /// Checks the signed-in account end to end and says what is wrong and what to do.
    ///
    /// The homeserver (reachable, a Matrix server), the session, the pushers and whether their
    /// push gateways answer, the push rules (which everyday messages would stay silent, and the
    /// rule that decides it), and with --send-test a test push through each gateway. One line
    /// per finding: [ok], [warn], [fail] or [skip], the check, plain words. Exits with 1 when a
    /// check failed (warnings are fine).
    Doctor {
        /// Sends a test push through each pusher's gateway (it must not come back rejected).
        #[arg(long)]
        send_test: bool,
    },
    /// The account's pushers: list, set, ensure, remove.
    #[command(subcommand)]
    Pushers(PushersCommand),
    /// The account's push rules, and the offline rule tools (eval, explain).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Decodes one push payload as the phone receives it (offline).
    ///
    /// Reads the payload (JSON) from FILE or stdin and writes one JSON object: {"event_id",
    /// "room_id", "unread", "missed_calls", "prio", "badge_only", "type", "sender",
    /// "sender_display_name", "room_name", "body", "extra"}, null where the payload does not
    /// say. Exits with 2 when the payload is unusable.
    Decode {
        /// The provider the payload came through.
        #[arg(long, value_name = "PROVIDER", value_parser = ProviderParser)]
        provider: Provider,
        /// The payload file (stdin when left out or -).
        #[arg(value_name = "FILE")]
        file: Option<String>,
    },
    /// Resolves a push with the saved session, as the phone would.
    ///
    /// Decodes the payload (FILE, or - for stdin) and resolves it within the deadline: prints
    /// the notification (title, body, sound, highlight) or why nothing shows — a generic one
    /// when the server could not answer in time.
    Handle {
        /// The payload file, or - for stdin.
        #[arg(value_name = "FILE")]
        file: String,
        /// The provider the payload came through.
        #[arg(long, value_name = "PROVIDER", value_parser = ProviderParser)]
        provider: Provider,
        /// How long resolving may take, in milliseconds (what a notification extension allows).
        #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = positive)]
        deadline_ms: u64,
    },
    /// The project's push gateway (what Sygnal + FCM/APNs would do), printing every payload.
    ///
    /// Set a pusher's URL to http://ADDR/_matrix/push/v1/notify. App ids ending in .fcm (or
    /// listed in --fcm) get the FCM v1 data map, .apns (or --apns) the APNs payload, .up (or
    /// --unified-push) the UnifiedPush body; other app ids and --reject pushkeys are answered as
    /// rejected. A GET on the notify path answers UnifiedPush's Matrix gateway discovery. Runs
    /// until stopped (or --count).
    Gateway(GatewayArgs),
    /// Prints a shell completion script (e.g. `matrix-push completions bash >
    /// ~/.local/share/bash-completion/completions/matrix-push`).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum PushersCommand {
    /// Lists the account's http pushers.
    List,
    /// Sets (creates or replaces) the pusher.
    Set(PusherArgs),
    /// Sets the pusher only when the server does not already have exactly it.
    Ensure(PusherArgs),
    /// Removes the pusher with this app id and pushkey.
    Remove {
        /// The app id of the pusher to remove, as `pushers list` shows it.
        #[arg(long, value_name = "A", allow_hyphen_values = true)]
        app_id: String,
        /// The pushkey of the pusher to remove (the device's push token), as `pushers list`
        /// shows it.
        #[arg(long, value_name = "K", allow_hyphen_values = true)]
        pushkey: String,
    },
}

/// A pusher for `pushers set|ensure`.
#[derive(Debug, Args)]
pub struct PusherArgs {
    /// The FCM registration token or the APNs device token.
    #[arg(long, value_name = "K", allow_hyphen_values = true)]
    pub pushkey: String,
    /// The app id, with the platform as a suffix (io.example.app.android).
    #[arg(long, value_name = "A", allow_hyphen_values = true)]
    pub app_id: String,
    /// The push gateway's URL, ending in /_matrix/push/v1/notify.
    #[arg(long, value_name = "URL")]
    pub gateway: String,
    /// event_id_only: the push carries ids, the phone fetches the rest.
    #[arg(long, value_enum, default_value_t = Format::EventIdOnly)]
    pub format: Format,
    /// The app's name, as the homeserver shows it in the account's list of pushers.
    #[arg(long, value_name = "NAME")]
    pub app_name: Option<String>,
    /// The device's name, as the homeserver shows it.
    #[arg(long, value_name = "NAME", default_value = "matrix-push CLI")]
    pub device_name: String,
    /// The language of the notifications (default en).
    #[arg(long, value_name = "L")]
    pub lang: Option<String>,
    /// A tag for the pusher's rules (rarely used).
    #[arg(long, value_name = "T")]
    pub profile_tag: Option<String>,
    /// JSON handed to the device as it is (e.g. '{"aps":{"mutable-content":1}}' for an iOS
    /// extension).
    #[arg(long, value_name = "JSON", allow_hyphen_values = true)]
    pub default_payload: Option<String>,
}

/// A pusher's `format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The push carries the event's ids only.
    #[value(name = "event_id_only")]
    EventIdOnly,
    /// The push carries the event's content.
    Full,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// The stored rules (or fetched now): one line per user rule, and a summary.
    Show {
        /// Fetches the rules from the server first.
        #[arg(long)]
        fetch: bool,
    },
    /// Fetches the rules, then long-polls and prints each change until stopped.
    Sync {
        /// Fetches once and exits.
        #[arg(long)]
        once: bool,
    },
    /// The account's keywords: add, remove, list.
    #[command(subcommand)]
    Keyword(KeywordCommand),
    /// A room's notification mode: get, set.
    #[command(subcommand)]
    RoomMode(RoomModeCommand),
    /// Enables a push rule.
    Enable(RuleRef),
    /// Disables a push rule.
    Disable(RuleRef),
    /// Evaluates push-rule cases (offline).
    ///
    /// Reads JSON Lines of {id, rules, event, context} from FILE or stdin and writes one line per
    /// input line: {"id", "actions", "rule_id", "kind"}, or {"id", "error"} when a line cannot be
    /// read.
    Eval {
        /// The cases (stdin when left out or -).
        #[arg(value_name = "FILE")]
        file: Option<String>,
    },
    /// Explains one case (offline): every rule in evaluation order and why it matched or not.
    ///
    /// FILE holds one case, or JSON Lines of cases with --id picking one (default: the first).
    Explain {
        /// The file holding the case, or JSON Lines of cases.
        #[arg(value_name = "FILE")]
        file: String,
        /// The id of the case to explain.
        #[arg(long, value_name = "ID", allow_hyphen_values = true)]
        id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeywordCommand {
    /// Adds a keyword (a glob: `deploy*`).
    Add {
        /// The keyword: a word of a message's body, `*` and `?` as wildcards, any case.
        #[arg(value_name = "WORD")]
        word: String,
    },
    /// Removes a keyword.
    Remove {
        /// The keyword, as `rules keyword list` shows it.
        #[arg(value_name = "WORD")]
        word: String,
    },
    /// Lists the keywords (fetched from the server).
    List,
}

#[derive(Debug, Subcommand)]
pub enum RoomModeCommand {
    /// The room's mode: all, mentions or mute (fetched from the server).
    Get {
        /// The room's id (!abc:example.org), not an alias.
        #[arg(value_name = "ROOM_ID", value_parser = room_id)]
        room_id: RoomId,
    },
    /// Sets the room's mode.
    Set {
        /// The room's id (!abc:example.org), not an alias.
        #[arg(value_name = "ROOM_ID", value_parser = room_id)]
        room_id: RoomId,
        /// What notifies in the room from now on.
        #[arg(value_enum)]
        mode: Mode,
    },
}

/// A room id argument, checked as clap reads it (a usage error names what is wrong).
fn room_id(text: &str) -> Result<RoomId, IdError> {
    RoomId::parse(text)
}

/// A room's notification mode on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Every message notifies.
    All,
    /// Only mentions and keywords notify.
    Mentions,
    /// Nothing notifies.
    Mute,
}

impl From<Mode> for RoomNotificationMode {
    fn from(mode: Mode) -> RoomNotificationMode {
        match mode {
            Mode::All => RoomNotificationMode::AllMessages,
            Mode::Mentions => RoomNotificationMode::MentionsAndKeywordsOnly,
            Mode::Mute => RoomNotificationMode::Mute,
        }
    }
}

/// A push rule: its kind and id.
#[derive(Debug, Args)]
pub struct RuleRef {
    /// override, content, postcontent, room, sender or underride.
    #[arg(value_name = "KIND", value_parser = RuleKindParser)]
    pub kind: RuleKind,
    /// The rule's id, as `rules show` lists it (server defaults start with a dot:
    /// .m.rule.contains_display_name).
    #[arg(value_name = "RULE_ID", allow_hyphen_values = true)]
    pub rule_id: String,
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5090")]
    pub listen: std::net::SocketAddr,
    /// App ids (comma-separated) that get FCM v1 data maps, whatever their suffix.
    #[arg(long, value_name = "APP_IDS")]
    pub fcm: Option<String>,
    /// App ids (comma-separated) that get APNs payloads, whatever their suffix.
    #[arg(long, value_name = "APP_IDS")]
    pub apns: Option<String>,
    /// App ids (comma-separated) that get the UnifiedPush body (the notify request as it came),
    /// whatever their suffix.
    #[arg(long, value_name = "APP_IDS")]
    pub unified_push: Option<String>,
    /// Pushkeys (comma-separated) answered as rejected.
    #[arg(long, value_name = "PUSHKEYS")]
    pub reject: Option<String>,
    /// Writes each payload to DIR/NNNN-fcm|apns|unifiedpush.json (for `handle`).
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Hands each payload on to `sh -c COMMAND` (on stdin; MATRIX_PUSH_PROVIDER,
    /// MATRIX_PUSH_APP_ID and MATRIX_PUSH_PUSHKEY set), e.g. 'xcrun simctl push booted
    /// io.matrixpush.sample -' for the iOS Simulator.
    #[arg(long, value_name = "COMMAND", allow_hyphen_values = true)]
    pub exec: Option<String>,
    /// Resolves each payload with the saved session, as the phone would.
    #[arg(long)]
    pub handle: bool,
    /// Stops after N payloads.
    #[arg(long, value_name = "N", value_parser = positive_usize)]
    pub count: Option<usize>,
}

fn positive(text: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a positive number"))
}

fn positive_usize(text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a positive number"))
}

/// `--provider NAME`: the names of [`Provider`] (listed in help and completions), and the error
/// says "unknown provider".
#[derive(Clone)]
struct ProviderParser;

impl TypedValueParser for ProviderParser {
    type Value = Provider;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Provider, clap::Error> {
        let name = value.to_string_lossy();
        Provider::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
            invalid(
                command,
                arg,
                format!("unknown provider {name:?}: {}", names.join(", ")),
            )
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            Provider::ALL.into_iter().map(|p| PossibleValue::new(p.as_str())),
        ))
    }
}

/// An invalid value of `arg`, in the words of `message`, with the usage of `command`.
fn invalid(command: &clap::Command, arg: Option<&clap::Arg>, message: String) -> clap::Error {
    let message = match arg {
        Some(arg) => format!("invalid value for {arg}: {message}"),
        None => message,
    };
    clap::Error::raw(ErrorKind::InvalidValue, message).with_cmd(command)
}

/// A push rule's KIND: the names of [`RuleKind`].
#[derive(Clone)]
struct RuleKindParser;

impl TypedValueParser for RuleKindParser {
    type Value = RuleKind;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<RuleKind, clap::Error> {
        let name = value.to_string_lossy();
        RuleKind::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = RuleKind::ALL.iter().map(|k| k.as_str()).collect();
            invalid(
                command,
                arg,
                format!("unknown rule kind {name:?}: {}", names.join(", ")),
            )
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            RuleKind::ALL.into_iter().map(|k| PossibleValue::new(k.as_str())),
        ))
    }
}

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// Exit 1: the operation failed (the server said no, the network, no session).
    Failed(String),
    /// Exit 2: the command line or the input is wrong.
    Usage(String),
}

impl Failure {
    /// The one line on stderr and the exit code.
    pub fn exit(self) -> ExitCode {
        let (message, code) = match self {
            Failure::Failed(message) => (message, 1),
            Failure::Usage(message) => (message, 2),
        };
        eprintln!("matrix-push: {}", one_line(&message));
        ExitCode::from(code)
    }
}

/// Help and the version go to stdout with exit 0; every other clap error is a usage error: one
/// line on stderr (`matrix-push: unexpected argument '--bogus' found (see `matrix-push whoami
/// --help`)`), exit 2. `args` is the command line (without the program) that failed to parse.
pub fn clap_exit(error: clap::Error, args: &[String]) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        _ => Failure::Usage(clap_message(&error, args)).exit(),
    }
}

/// clap's message with what it lists under it (missing arguments, possible values, tips such
/// as "a similar subcommand exists"), and the command to ask for help.
fn clap_message(error: &clap::Error, args: &[String]) -> String {
    let (path, command) = typed_command(args);
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // clap would print the whole help: name the subcommands instead.
        let names: Vec<&str> = command.get_subcommands().map(|sub| sub.get_name()).collect();
        return format!(
            "`{path}` needs a command: {} (see `{path} --help`)",
            names.join(", ")
        );
    }
    let text = error.render().to_string();
    let mut message = String::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        if line.starts_with("Usage: ") || line.starts_with("For more information") {
            break;
        }
        if message.is_empty() {
            message = line.strip_prefix("error: ").unwrap_or(line).to_owned();
        } else if let Some(tip) = line.strip_prefix("tip: ") {
            message = format!("{message}; {tip}");
        } else {
            message = format!("{message} {line}");
        }
    }
    format!("{message} (see `{path} --help`)")
}

/// The (sub)command the user typed, as `matrix-push rules keyword`, and its definition.
fn typed_command(args: &[String]) -> (String, clap::Command) {
    let mut command = Cli::command();
    let mut path = vec!["matrix-push".to_owned()];
    for arg in args.iter().take_while(|arg| *arg != "--") {
        if let Some(sub) = command.find_subcommand(arg).cloned() {
            path.push(sub.get_name().to_owned());
            command = sub;
        }
    }
    (path.join(" "), command)
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A usage error about the command line or the input (exit 2).
pub fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(format!("{} (see matrix-push --help)", message.into()))
}

pub fn session_failure(error: SessionError) -> Failure {
    match error {
        SessionError::InvalidServer { .. } => Failure::Usage(error.to_string()),
        other => Failure::Failed(other.to_string()),
    }
}

pub fn pusher_failure(error: PusherError) -> Failure {
    match error {
        PusherError::Session(e) => session_failure(e),
        invalid => Failure::Usage(invalid.to_string()),
    }
}

pub fn sync_failure(error: SyncError) -> Failure {
    match error {
        SyncError::Session(e) => session_failure(e),
        other => Failure::Failed(other.to_string()),
    }
}

pub fn settings_failure(error: SettingsError) -> Failure {
    match error {
        SettingsError::Session(e) => session_failure(e),
        SettingsError::Rules(e) => sync_failure(e),
        SettingsError::InvalidRuleId { .. } => Failure::Usage(error.to_string()),
        other => Failure::Failed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    fn usage_line(args: &[&str]) -> String {
        let error = Cli::try_parse_from(std::iter::once("matrix-push").chain(args.iter().copied()))
            .expect_err("a usage error");
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        clap_message(&error, &args)
    }

    #[test]
    fn clap_errors_become_one_line_naming_the_command() {
        let line = usage_line(&["whoami", "--bogus"]);
        assert!(line.starts_with("unexpected argument '--bogus' found"), "{line}");
        assert!(line.ends_with("(see `matrix-push whoami --help`)"), "{line}");
        assert!(!line.contains('\n'));
        let line = usage_line(&["decode", "--provider", "carrier-pigeon"]);
        assert!(line.contains("unknown provider \"carrier-pigeon\""), "{line}");
        let line = usage_line(&["whoam"]);
        assert!(line.contains("similar subcommand exists: 'whoami'"), "{line}");
        let line = usage_line(&["rules", "keyword"]);
        assert_eq!(
            line,
            "`matrix-push rules keyword` needs a command: add, remove, list (see `matrix-push rules \
             keyword --help`)"
        );
        let line = usage_line(&["handle"]);
        assert_eq!(
            line,
            "the following required arguments were not provided: --provider <PROVIDER> <FILE> \
             (see `matrix-push handle --help`)"
        );
        let line = usage_line(&["rules", "enable", "kind", "x"]);
        assert!(line.contains("unknown rule kind \"kind\""), "{line}");
        assert!(
            line.ends_with("(see `matrix-push rules enable --help`)"),
            "{line}"
        );
        let line = usage_line(&["rules", "room-mode", "set", "!r:x", "loud"]);
        assert_eq!(
            line,
            "invalid value 'loud' for '<MODE>' [possible values: all, mentions, mute] (see \
             `matrix-push rules room-mode set --help`)"
        );
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = Cli::try_parse_from(["matrix-push", "pushers", "list", "--json", "--store", "d"]).unwrap();
        assert!(cli.json());
        assert_eq!(cli.store, Some(PathBuf::from("d")));
        let cli = Cli::try_parse_from(["matrix-push", "--json", "rules", "explain", "f", "--json"]).unwrap();
        assert!(cli.json());
        // The last --store counts, as before clap.
        let cli = Cli::try_parse_from(["matrix-push", "--store", "a", "whoami", "--store", "b"]).unwrap();
        assert_eq!(cli.store, Some(PathBuf::from("b")));
    }
}
