//! The `rules` commands that talk to the homeserver.

use crate::Context;
use crate::args::{
    Failure, KeywordCommand, RoomModeCommand, RuleRef, RulesCommand, settings_failure, sync_failure, usage,
};
use crate::progress;
use matrix_push::rules::PushRules;
use matrix_push::settings::RoomNotificationMode;
use serde_json::{Value, json};
use std::time::Duration;

/// How long `rules sync` long-polls per request.
const POLL_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn rules(context: &Context, command: RulesCommand) -> Result<(), Failure> {
    match command {
        RulesCommand::Show { fetch } => show(context, fetch).await,
        RulesCommand::Sync { once } => sync(context, once).await,
        RulesCommand::Keyword(command) => keyword(context, command).await,
        RulesCommand::RoomMode(command) => room_mode(context, command).await,
        RulesCommand::Enable(rule) => set_enabled(context, rule, true).await,
        RulesCommand::Disable(rule) => set_enabled(context, rule, false).await,
        // Offline: no session needed (`main` runs these before signing in).
        RulesCommand::Eval { file } => crate::offline::eval_command(file.as_deref()),
        RulesCommand::Explain { file, id } => crate::offline::explain(&file, id.as_deref(), context.json),
    }
}

async fn set_enabled(
    context: &Context,
    RuleRef { kind, rule_id }: RuleRef,
    enabled: bool,
) -> Result<(), Failure> {
    let client = context.signed_in()?;
    client
        .set_rule_enabled(kind, &rule_id, enabled)
        .await
        .map_err(settings_failure)?;
    let verb = if enabled { "enable" } else { "disable" };
    context.print(
        json!({"kind": kind, "rule_id": rule_id, "enabled": enabled}),
        || format!("{kind} {rule_id}: {verb}d"),
    );
    Ok(())
}

async fn show(context: &Context, fetch: bool) -> Result<(), Failure> {
    let client = context.signed_in()?;
    let rules = if fetch {
        progress::step("fetching the push rules", client.fetch_push_rules())
            .await
            .map_err(sync_failure)?
    } else {
        client.stored_push_rules().ok_or_else(|| {
            Failure::Failed("no stored rules: run `matrix-push rules show --fetch` or `rules sync`".into())
        })?
    };
    context.print(rules.to_value(), || describe_rules(&rules));
    Ok(())
}

/// One line per user rule, then a summary.
fn describe_rules(rules: &PushRules) -> String {
    let mut lines = Vec::new();
    let (mut user, mut server, mut disabled) = (0, 0, 0);
    for (kind, rule) in rules.global.iter() {
        if !rule.enabled {
            disabled += 1;
        }
        if rule.default {
            server += 1;
            continue;
        }
        user += 1;
        let actions: Vec<Value> = rule.actions.iter().map(|a| a.to_value()).collect();
        let mut line = format!(
            "{kind} {} {} actions={}",
            rule.rule_id,
            if rule.enabled { "enabled" } else { "disabled" },
            Value::from(actions)
        );
        if let Some(pattern) = &rule.pattern {
            line.push_str(&format!(" pattern={pattern:?}"));
        }
        if let Some(conditions) = &rule.conditions {
            line.push_str(&format!(" conditions={}", conditions.len()));
        }
        lines.push(line);
    }
    lines.push(summary(user, server, disabled));
    lines.join("\n")
}

fn summary(user: usize, server: usize, disabled: usize) -> String {
    format!("{user} user rules, {server} server-default rules, {disabled} disabled")
}

fn counts(rules: &PushRules) -> (usize, usize, usize) {
    let user = rules.global.iter().filter(|(_, r)| !r.default).count();
    let server = rules.global.iter().filter(|(_, r)| r.default).count();
    let disabled = rules.global.iter().filter(|(_, r)| !r.enabled).count();
    (user, server, disabled)
}

fn print_change(context: &Context, rules: &PushRules) {
    let (user, server, disabled) = counts(rules);
    context.print(json!({"event": "rules", "rules": rules.to_value()}), || {
        let keywords = matrix_push::settings::keywords(&rules.global);
        format!(
            "rules: {} (keywords: {})",
            summary(user, server, disabled),
            if keywords.is_empty() {
                "none".into()
            } else {
                keywords.join(", ")
            }
        )
    });
}

async fn sync(context: &Context, once: bool) -> Result<(), Failure> {
    let client = context.signed_in()?;
    let first = progress::step("fetching the push rules", client.fetch_push_rules()).await;
    if once {
        print_change(context, &first.map_err(sync_failure)?);
        return Ok(());
    }
    // The sync loop fetches again and retries failures itself; this first fetch is only for the
    // progress line, so its ruleset is not printed a second time.
    let mut printed = first.ok();
    if let Some(rules) = &printed {
        print_change(context, rules);
    }
    let ended = client
        .run_push_rules_sync(POLL_TIMEOUT, |rules| {
            if printed.take().as_ref() != Some(rules) {
                print_change(context, rules);
            }
        })
        .await;
    Err(sync_failure(ended))
}

async fn keyword(context: &Context, command: KeywordCommand) -> Result<(), Failure> {
    let (word, add) = match command {
        KeywordCommand::Add { word } => (word, true),
        KeywordCommand::Remove { word } => (word, false),
        KeywordCommand::List => {
            let client = context.signed_in()?;
            progress::step("fetching the push rules", client.fetch_push_rules())
                .await
                .map_err(sync_failure)?;
            let keywords = client.keywords().await.map_err(sync_failure)?;
            context.print(json!(keywords), || keywords.join("\n"));
            return Ok(());
        }
    };
    let verb = if add { "add" } else { "remove" };
    if word.is_empty() {
        return Err(usage(format!("rules keyword {verb}: the keyword is empty")));
    }
    let client = context.signed_in()?;
    match add {
        true => client.add_keyword(&word).await,
        false => client.remove_keyword(&word).await,
    }
    .map_err(settings_failure)?;
    let done = if add { "added" } else { "removed" };
    context.print(json!({"keyword": word, done: true}), || {
        format!("keyword {word:?}: {done}")
    });
    Ok(())
}

fn mode_name(mode: Option<RoomNotificationMode>) -> &'static str {
    match mode {
        None | Some(RoomNotificationMode::AllMessages) => "all",
        Some(RoomNotificationMode::MentionsAndKeywordsOnly) => "mentions",
        Some(RoomNotificationMode::Mute) => "mute",
    }
}

async fn room_mode(context: &Context, command: RoomModeCommand) -> Result<(), Failure> {
    match command {
        RoomModeCommand::Get { room_id } => {
            let client = context.signed_in()?;
            // A one-off command shows the server's rules, not what this store last saw.
            progress::step("fetching the push rules", client.fetch_push_rules())
                .await
                .map_err(sync_failure)?;
            let mode = client.room_mode(&room_id).await.map_err(sync_failure)?;
            let name = mode_name(mode);
            context.print(
                json!({"room_id": room_id, "mode": name, "own_rule": mode.is_some()}),
                || match mode {
                    Some(_) => name.to_owned(),
                    None => format!("{name} (the account's defaults)"),
                },
            );
            Ok(())
        }
        RoomModeCommand::Set { room_id, mode } => {
            let mode = RoomNotificationMode::from(mode);
            let client = context.signed_in()?;
            client
                .set_room_mode(&room_id, mode)
                .await
                .map_err(settings_failure)?;
            let name = mode_name(Some(mode));
            context.print(json!({"room_id": room_id, "mode": name}), || {
                format!("{room_id}: {name}")
            });
            Ok(())
        }
    }
}
