//! The `matrix-push` command line: an account's sign-in, pushers and push rules against its
//! homeserver (`account`, `online_rules`), an end-to-end check of the account (`doctor`),
//! resolving a push as the phone would and the project's push gateway (`push`), and the offline
//! tools (push-rule evaluation and explanation, payload decoding: `offline`). This file sets up
//! where the session and state live and dispatches; `args` has the grammar (clap) and the exit
//! codes, `progress` the progress lines of slow steps.
//!
//! Run `matrix-push --help` (or `matrix-push COMMAND --help`) for the commands. Exit codes: 0 ok,
//! 1 the operation failed (or `doctor` found a problem), 2 usage or invalid input. Where this
//! crate sits among the others: the repository's `ARCHITECTURE.md`.

#![allow(
    rustdoc::broken_intra_doc_links,
    reason = "the argument docs are the --help text clap prints: `[ok]` and the like are read, not links"
)]

mod account;
mod args;
mod doctor;
mod offline;
mod online_rules;
mod progress;
mod push;

use args::{Cli, Command, Failure, RulesCommand};
use clap::{CommandFactory, Parser};
use matrix_push::Client;
use matrix_push::session::{FileSessionStore, KeyringSessionStore, SessionStore};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The device name of the CLI's sign-ins.
const DEVICE_NAME: &str = "matrix-push CLI";

/// Where the command's state and session live.
pub struct Context {
    /// The folder for the synced state: `--store`, else the account's folder in the user's state
    /// directory.
    pub store_dir: PathBuf,
    /// Where the session is saved: a file in the `--store` folder, else the platform keyring.
    pub session_store: Arc<dyn SessionStore>,
    /// Print JSON instead of text (`--json`).
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

    /// A client for `homeserver`, not signed in yet (for `login`).
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
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let cli = match Cli::try_parse_from(std::iter::once("matrix-push".to_owned()).chain(args.iter().cloned()))
    {
        Ok(cli) => cli,
        Err(error) => return args::clap_exit(error, &args),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

/// Where the session and the state live, from `--store DIR` or `--account NAME`.
fn context(store: Option<PathBuf>, account: Option<String>, json: bool) -> Result<Context, Failure> {
    if store.as_ref().is_some_and(|dir| dir.as_os_str().is_empty()) {
        return Err(Failure::Usage("--store needs a folder".into()));
    }
    if let Some(name) = &account {
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
    Ok(match store {
        Some(dir) => Context {
            session_store: Arc::new(FileSessionStore::new(&dir)),
            store_dir: dir,
            json,
        },
        None => {
            let (store_dir, account) = match account.as_deref() {
                Some(name) if name != "default" => (default_state_dir()?.join("accounts").join(name), name),
                _ => (default_state_dir()?, "default"),
            };
            Context {
                store_dir,
                session_store: Arc::new(KeyringSessionStore::new("io.matrixpush.cli", account)),
                json,
            }
        }
    })
}

fn run(cli: Cli) -> Result<(), Failure> {
    let json = cli.json();
    // The offline commands need neither a session nor a runtime.
    let command = match cli.command {
        Command::Rules(RulesCommand::Eval { file }) => return offline::eval_command(file.as_deref()),
        Command::Rules(RulesCommand::Explain { file, id }) => {
            return offline::explain(&file, id.as_deref(), json);
        }
        Command::Decode { provider, file } => return offline::decode(provider, file.as_deref()),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "matrix-push", &mut script);
            // A reader that went away (`| head`) is its business.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
            return Ok(());
        }
        online => online,
    };
    let context = context(cli.store, cli.account, json)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        match command {
            Command::Login {
                user,
                homeserver,
                password_stdin,
            } => account::login(&context, &user, homeserver.as_deref(), password_stdin).await,
            Command::Whoami => account::whoami(&context).await,
            Command::Logout => account::logout(&context).await,
            Command::Doctor { send_test } => doctor::doctor(&context, send_test).await,
            Command::Pushers(command) => account::pushers(&context, command).await,
            Command::Rules(command) => online_rules::rules(&context, command).await,
            Command::Handle {
                file,
                provider,
                deadline_ms,
            } => push::handle(&context, &file, provider, Duration::from_millis(deadline_ms)).await,
            Command::Gateway(args) => push::gateway(&context, args).await,
            Command::Decode { .. } | Command::Completions { .. } => {
                unreachable!("offline commands return above")
            }
        }
    })
}
