//! The command line's help and completions, offline: `--help` on every command and nested
//! command (found by walking the help itself, so a new command is covered without listing it
//! here) exits 0 with help on stdout, and `completions SHELL` prints a script.

use matrix_push_tests::cli::{cli_command, run, stderr, stdout};

/// The subcommands a `--help` output lists under `Commands:` (without `help`).
fn listed_subcommands(help: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands {
            // An entry is indented by two; a wrapped description by more.
            let Some(entry) = line.strip_prefix("  ").filter(|rest| !rest.starts_with(' ')) else {
                if !line.starts_with("   ") {
                    in_commands = false;
                }
                continue;
            };
            let name = entry.split_whitespace().next().unwrap_or_default();
            if !name.is_empty() && name != "help" {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// Runs `matrix-push PATH… --help`: must exit 0 with help on stdout and nothing on stderr.
fn help(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let output = run(cli_command(&args), "");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: stdout {} stderr {}",
        stdout(&output),
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(!text.trim().is_empty(), "{args:?}: no help on stdout");
    assert!(text.contains("Usage: matrix-push"), "{args:?}: {text}");
    assert!(stderr(&output).is_empty(), "{args:?}: {}", stderr(&output));
    text
}

#[test]
fn every_command_and_nested_command_has_help() {
    let top = help(&[]);
    assert!(top.contains("Exit codes:"), "{top}");
    for code in ["0  ok", "1  the operation failed", "2  usage error"] {
        assert!(top.contains(code), "{top}");
    }
    // Depth first over the whole tree.
    let mut pending: Vec<Vec<String>> = listed_subcommands(&top)
        .into_iter()
        .map(|name| vec![name])
        .collect();
    let mut seen = Vec::new();
    while let Some(path) = pending.pop() {
        let text = help(&path);
        for name in listed_subcommands(&text) {
            let mut child = path.clone();
            child.push(name);
            pending.push(child);
        }
        seen.push(path.join(" "));
    }
    seen.sort();
    let expected = [
        "completions",
        "decode",
        "doctor",
        "gateway",
        "handle",
        "login",
        "logout",
        "pushers",
        "pushers ensure",
        "pushers list",
        "pushers remove",
        "pushers set",
        "rules",
        "rules disable",
        "rules enable",
        "rules eval",
        "rules explain",
        "rules keyword",
        "rules keyword add",
        "rules keyword list",
        "rules keyword remove",
        "rules room-mode",
        "rules room-mode get",
        "rules room-mode set",
        "rules show",
        "rules sync",
        "whoami",
    ];
    for path in expected {
        assert!(
            seen.iter().any(|s| s == path),
            "no help found for {path:?}; walked {seen:?}"
        );
    }
    assert!(seen.len() >= expected.len(), "{seen:?}");
}

#[test]
fn help_names_the_global_options_everywhere() {
    let text = help(&["pushers".into(), "ensure".into()]);
    for option in [
        "--pushkey",
        "--app-id",
        "--gateway",
        "--store",
        "--account",
        "--json",
    ] {
        assert!(text.contains(option), "{option}: {text}");
    }
}

#[test]
fn completions_for_bash_cover_the_commands() {
    let output = run(cli_command(&["completions", "bash"]), "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let script = stdout(&output);
    assert!(!script.trim().is_empty());
    assert!(script.contains("complete -F"), "not a bash completion script");
    for word in ["matrix-push", "pushers", "room-mode", "--store", "--provider"] {
        assert!(script.contains(word), "{word} missing from the bash completions");
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let output = run(cli_command(&["completions", shell]), "");
        assert_eq!(output.status.code(), Some(0), "{shell}: {}", stderr(&output));
        assert!(!stdout(&output).trim().is_empty(), "{shell}");
    }
    let output = run(cli_command(&["completions", "tcsh"]), "");
    assert_eq!(output.status.code(), Some(2), "an unknown shell is a usage error");
}
