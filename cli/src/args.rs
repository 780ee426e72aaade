//! The small argument parser of the account commands, and how errors become exit codes.

use matrix_push::pushers::PusherError;
use matrix_push::session::SessionError;
use matrix_push::sync::SyncError;
use std::collections::{BTreeMap, BTreeSet};

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// Exit 1: the operation failed (the server said no, the network, no session).
    Failed(String),
    /// Exit 2: the command line or the input is wrong.
    Usage(String),
    /// Exit 2, with the message as the offline commands always wrote it (may span lines).
    Legacy(String),
}

/// A command's arguments: positionals, options with a value, and flags.
#[derive(Debug, Default)]
pub struct Parsed<'a> {
    pub positional: Vec<&'a str>,
    pub values: BTreeMap<&'static str, &'a str>,
    pub flags: BTreeSet<&'static str>,
}

impl<'a> Parsed<'a> {
    /// Parses `args` for a command that takes the options `with_value` (`--name VALUE` or
    /// `--name=VALUE`) and the `flags`; anything else starting with `--` is a usage error.
    pub fn new(
        command: &str,
        args: &[&'a str],
        with_value: &[&'static str],
        flags: &[&'static str],
    ) -> Result<Parsed<'a>, Failure> {
        let mut parsed = Parsed::default();
        let mut iter = args.iter();
        let mut only_positional = false;
        while let Some(&arg) = iter.next() {
            if only_positional || arg == "-" || !arg.starts_with("--") {
                parsed.positional.push(arg);
                continue;
            }
            if arg == "--" {
                only_positional = true;
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (arg, None),
            };
            if let Some(&known) = with_value.iter().find(|known| **known == name) {
                let value = match inline {
                    Some(value) => value,
                    None => iter
                        .next()
                        .copied()
                        .ok_or_else(|| usage(format!("{command}: {name} needs a value")))?,
                };
                parsed.values.insert(known, value);
            } else if let Some(&known) = flags.iter().find(|known| **known == name)
                && inline.is_none()
            {
                parsed.flags.insert(known);
            } else {
                return Err(usage(format!("{command}: unexpected option {arg:?}")));
            }
        }
        Ok(parsed)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.contains(name)
    }

    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.values.get(name).copied()
    }

    pub fn required(&self, command: &str, name: &str) -> Result<&'a str, Failure> {
        self.value(name)
            .ok_or_else(|| usage(format!("{command} needs {name}")))
    }

    /// Exactly `names.len()` positionals.
    pub fn positionals<const N: usize>(
        &self,
        command: &str,
        names: [&str; N],
    ) -> Result<[&'a str; N], Failure> {
        <[&str; N]>::try_from(self.positional.as_slice()).map_err(|_| {
            usage(format!(
                "{command} takes {}, got {} argument(s)",
                if N == 0 {
                    "no arguments".to_owned()
                } else {
                    names.join(" ")
                },
                self.positional.len()
            ))
        })
    }
}

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
        SyncError::InvalidRuleId { .. } => Failure::Usage(error.to_string()),
        other => Failure::Failed(other.to_string()),
    }
}
