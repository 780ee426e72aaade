//! Push-rule syncing and editing.
//!
//! Syncing: `/sync` long-polls with a filter that returns only the account data the push path
//! judges with — `m.push_rules` and `m.ignored_user_list` — and no rooms or presence. What
//! arrives is merged into the stored [`AccountState`] with its `next_batch` (the base every push
//! brings up to date with a sync of its own; see [`StateStore::replace_account`]), and rule
//! changes are handed to the caller. [`apply_account_data`] is the one reader of account data,
//! for this loop and for the push path.
//!
//! Editing: typed operations over the push-rule REST API — keywords, a room's notification mode
//! (encoded as Element clients encode it, so both read each other's settings), muting a sender,
//! and the low-level enable / actions / insert-with-position / delete.

use crate::http::{Method, Request};
use crate::rules::{Action, PushRules, RuleKind, Ruleset};
use crate::session::{SessionClient, SessionError};
use crate::store::{AccountState, StateStore, StoreError};
use serde_json::{Value, json};
use std::time::Duration;

/// Why syncing or editing rules failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the server's push rules do not parse: {0}")]
    InvalidRules(#[from] crate::rules::ParseError),
    #[error("invalid rule id {rule_id:?}: {reason}")]
    InvalidRuleId { rule_id: String, reason: &'static str },
}

/// The account data types the push path judges with.
pub const ACCOUNT_DATA_TYPES: [&str; 2] = ["m.push_rules", "m.ignored_user_list"];

/// The `/sync` filter: only the account data of [`ACCOUNT_DATA_TYPES`].
pub fn push_rules_filter() -> Value {
    json!({
        "account_data": {"types": ACCOUNT_DATA_TYPES},
        "presence": {"types": []},
        "room": {"rooms": []}
    })
}

/// Takes the account data of a `/sync` response into `state`: the push rules and the ignored
/// users, as sent (a sync brings the whole content of each type that changed). Returns the new
/// rules when they changed; a `next_batch` is not taken (the caller decides where it goes).
/// Account data of the wrong shape is an error: a push must not be judged on half of it.
pub fn apply_account_data(state: &mut AccountState, sync: &Value) -> Result<Option<PushRules>, SyncError> {
    let malformed = |what| SyncError::Session(SessionError::MalformedResponse(what));
    let events = match sync.pointer("/account_data/events") {
        None => return Ok(None),
        Some(events) => events
            .as_array()
            .ok_or_else(|| malformed("account data events as a list"))?,
    };
    let mut changed = None;
    for event in events {
        let content = event.get("content");
        match event.get("type").and_then(Value::as_str) {
            Some("m.push_rules") => {
                let content = content.ok_or_else(|| malformed("the push rules' content"))?;
                let (rules, dropped) = PushRules::from_value_lenient(content)?;
                for error in dropped {
                    tracing::warn!("a push rule the server sent is left out: {error}");
                }
                state.push_rules = Some(content.clone());
                changed = Some(rules);
            }
            Some("m.ignored_user_list") => {
                let users = content
                    .and_then(|c| c.get("ignored_users"))
                    .and_then(Value::as_object)
                    .ok_or_else(|| malformed("the ignored users as an object"))?;
                state.ignored_users = users.keys().cloned().collect();
            }
            _ => {}
        }
    }
    Ok(changed)
}

/// Fetches the whole ruleset (`GET /pushrules/`) and stores it — unless another process
/// stored a newer account state meanwhile (then that one stays; pushes bring either up to date).
pub async fn fetch_push_rules(client: &SessionClient, store: &StateStore) -> Result<PushRules, SyncError> {
    let read = store.account().unwrap_or_default();
    let url = client.url("pushrules/");
    let request = Request::new(Method::Get, url).max_body(crate::http::RULES_MAX_BODY);
    let body = client.send_request(request).await?;
    let rules = PushRules::from_value(&body)?;
    // Fetched after `read` was stored, so as new as its position at least.
    let fetched = AccountState {
        push_rules: Some(rules.to_value()),
        ..read.clone()
    };
    store.replace_account(read.generation, fetched).await?;
    Ok(rules)
}

/// One `/sync` round from the stored position (from scratch when there is none): waits up to
/// `timeout` for a change; returns the new rules when they changed. The account state is
/// stored with the new position unless another process stored one meanwhile.
pub async fn sync_once(
    client: &SessionClient,
    store: &StateStore,
    timeout: Duration,
) -> Result<Option<PushRules>, SyncError> {
    sync_account(client, store, timeout, false).await
}

/// [`sync_once`], or with `from_scratch` a sync without a position: the whole account data.
async fn sync_account(
    client: &SessionClient,
    store: &StateStore,
    timeout: Duration,
    from_scratch: bool,
) -> Result<Option<PushRules>, SyncError> {
    let read = store.account().unwrap_or_default();
    let since = read.since.as_ref().filter(|_| !from_scratch);
    let mut url = client.url("sync");
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("filter", &push_rules_filter().to_string());
        query.append_pair("timeout", &timeout.as_millis().to_string());
        if let Some(since) = since {
            query.append_pair("since", since);
        }
    }
    let request_timeout = timeout + client.transport().config().request_timeout;
    let request = Request::new(Method::Get, url)
        .timeout(request_timeout)
        .max_body(crate::http::SYNC_MAX_BODY);
    let body = client.send_request(request).await?;
    let next_batch = body
        .get("next_batch")
        .and_then(Value::as_str)
        .ok_or(SessionError::MalformedResponse("next_batch"))?;
    let mut state = match from_scratch {
        true => AccountState {
            generation: read.generation,
            ..AccountState::default()
        },
        false => read.clone(),
    };
    let rules = apply_account_data(&mut state, &body)?;
    state.since = Some(next_batch.to_owned());
    store.replace_account(read.generation, state).await?;
    Ok(rules)
}

/// Keeps the rules in sync until the returned future is dropped: one sync from scratch (which
/// brings the whole ruleset), then long-polls, calling `on_change` with every new ruleset (the
/// first included). Network errors back off (1 s doubling to 60 s) and go on; a signed-out
/// session ends the loop.
pub async fn run_push_rules_sync(
    client: &SessionClient,
    store: &StateStore,
    poll_timeout: Duration,
    mut on_change: impl FnMut(&PushRules),
) -> SyncError {
    let mut backoff = Duration::from_secs(1);
    let mut fetched = false;
    loop {
        let round = match fetched {
            true => sync_account(client, store, poll_timeout, false).await,
            false => sync_account(client, store, Duration::ZERO, true).await,
        };
        match round {
            Ok(changed) => {
                fetched = true;
                backoff = Duration::from_secs(1);
                if let Some(rules) = changed {
                    on_change(&rules);
                }
            }
            Err(SyncError::Session(
                e @ (SessionError::LoggedOut | SessionError::SoftLoggedOut | SessionError::NotSignedIn),
            )) => {
                return SyncError::Session(e);
            }
            Err(e) => {
                tracing::warn!(?backoff, "push-rule sync failed, retrying: {e}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}

/// Checks a user rule id: not empty, not starting with `.` (server rules), no `/` or `\`.
pub fn validate_rule_id(rule_id: &str) -> Result<(), SyncError> {
    let reason = if rule_id.is_empty() {
        "it is empty"
    } else if rule_id.starts_with('.') {
        "ids starting with '.' belong to server-default rules"
    } else if rule_id.contains(['/', '\\']) {
        "it contains '/' or '\\'"
    } else {
        return Ok(());
    };
    Err(SyncError::InvalidRuleId {
        rule_id: rule_id.to_owned(),
        reason,
    })
}

/// Checks a room id used as a rule id: it must look like one (`!…`) and be a valid rule id.
pub fn validate_room_id(room_id: &str) -> Result<(), SyncError> {
    if !room_id.starts_with('!') {
        return Err(SyncError::InvalidRuleId {
            rule_id: room_id.to_owned(),
            reason: "a room id starts with '!'",
        });
    }
    validate_rule_id(room_id)
}

/// Where a new rule goes among the user rules of its kind.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Position {
    /// The top of the user rules (the server's default for a new rule).
    #[default]
    Top,
    Before(String),
    After(String),
}

/// Creates or replaces a user rule (`PUT /pushrules/global/{kind}/{rule_id}`).
pub async fn put_rule(
    client: &SessionClient,
    kind: RuleKind,
    rule_id: &str,
    actions: &[Action],
    conditions: Option<Value>,
    pattern: Option<&str>,
    position: &Position,
) -> Result<(), SyncError> {
    validate_rule_id(rule_id)?;
    let mut body = json!({"actions": actions});
    if let Some(conditions) = conditions {
        body["conditions"] = conditions;
    }
    if let Some(pattern) = pattern {
        body["pattern"] = json!(pattern);
    }
    let mut url = client.url_of(&["pushrules", "global", kind.as_str(), rule_id]);
    match position {
        Position::Top => {}
        Position::Before(other) => {
            url.query_pairs_mut().append_pair("before", other);
        }
        Position::After(other) => {
            url.query_pairs_mut().append_pair("after", other);
        }
    }
    client
        .send_request(Request::new(Method::Put, url).json(body))
        .await?;
    Ok(())
}

/// Deletes a user rule.
pub async fn delete_rule(client: &SessionClient, kind: RuleKind, rule_id: &str) -> Result<(), SyncError> {
    validate_rule_id(rule_id)?;
    let url = client.url_of(&["pushrules", "global", kind.as_str(), rule_id]);
    client.send_request(Request::new(Method::Delete, url)).await?;
    Ok(())
}

/// Enables or disables any rule, server-default ones included.
pub async fn set_enabled(
    client: &SessionClient,
    kind: RuleKind,
    rule_id: &str,
    enabled: bool,
) -> Result<(), SyncError> {
    let url = client.url_of(&["pushrules", "global", kind.as_str(), rule_id, "enabled"]);
    client
        .send_request(Request::new(Method::Put, url).json(json!({"enabled": enabled})))
        .await?;
    Ok(())
}

/// Replaces the actions of any rule, server-default ones included.
pub async fn set_actions(
    client: &SessionClient,
    kind: RuleKind,
    rule_id: &str,
    actions: &[Action],
) -> Result<(), SyncError> {
    let url = client.url_of(&["pushrules", "global", kind.as_str(), rule_id, "actions"]);
    client
        .send_request(Request::new(Method::Put, url).json(json!({"actions": actions})))
        .await?;
    Ok(())
}

fn notify_with_sound() -> Vec<Action> {
    vec![
        Action::Notify,
        Action::SetTweak(crate::rules::Tweak::Sound("default".into())),
    ]
}

/// Adds a keyword: a content rule whose id and pattern are the keyword (as Element does), that
/// notifies with a sound.
pub async fn add_keyword(client: &SessionClient, keyword: &str) -> Result<(), SyncError> {
    let keyword = keyword.trim();
    put_rule(
        client,
        RuleKind::Content,
        keyword,
        &notify_with_sound(),
        None,
        Some(keyword),
        &Position::Top,
    )
    .await
}

pub async fn remove_keyword(client: &SessionClient, keyword: &str) -> Result<(), SyncError> {
    delete_rule(client, RuleKind::Content, keyword.trim()).await
}

/// The user's keywords: the patterns of their own content rules.
pub fn keywords(rules: &Ruleset) -> Vec<String> {
    rules
        .content
        .iter()
        .filter(|rule| !rule.default && !rule.rule_id.starts_with('.'))
        .filter_map(|rule| rule.pattern.clone())
        .collect()
}

/// How a room notifies, as Element clients set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RoomNotificationMode {
    /// Every message notifies (no rule of the room's own: the account's defaults apply).
    AllMessages,
    /// Only mentions and keywords: a room rule with no actions (override rules still fire).
    MentionsAndKeywordsOnly,
    /// Nothing: an override rule on the room id with no actions.
    Mute,
}

/// The mode a room was given, or `None` when it has no rule of its own.
pub fn room_mode(rules: &Ruleset, room_id: &str) -> Option<RoomNotificationMode> {
    let notifies = |actions: &[Action]| actions.contains(&Action::Notify);
    if let Some(rule) = rules.get(RuleKind::Override, room_id).filter(|r| r.enabled)
        && !notifies(&rule.actions)
    {
        return Some(RoomNotificationMode::Mute);
    }
    let rule = rules.get(RuleKind::Room, room_id).filter(|r| r.enabled)?;
    Some(match notifies(&rule.actions) {
        true => RoomNotificationMode::AllMessages,
        false => RoomNotificationMode::MentionsAndKeywordsOnly,
    })
}

/// Sets a room's mode, removing the other mode's rule so exactly one encoding remains.
pub async fn set_room_mode(
    client: &SessionClient,
    current: &Ruleset,
    room_id: &str,
    mode: RoomNotificationMode,
) -> Result<(), SyncError> {
    validate_room_id(room_id)?;
    let has = |kind| current.get(kind, room_id).is_some();
    match mode {
        RoomNotificationMode::Mute => {
            let conditions = json!([{"kind": "event_match", "key": "room_id", "pattern": room_id}]);
            put_rule(
                client,
                RuleKind::Override,
                room_id,
                &[],
                Some(conditions),
                None,
                &Position::Top,
            )
            .await?;
            if has(RuleKind::Room) {
                delete_rule(client, RuleKind::Room, room_id).await?;
            }
        }
        RoomNotificationMode::MentionsAndKeywordsOnly => {
            put_rule(client, RuleKind::Room, room_id, &[], None, None, &Position::Top).await?;
            if has(RuleKind::Override) {
                delete_rule(client, RuleKind::Override, room_id).await?;
            }
        }
        RoomNotificationMode::AllMessages => {
            for kind in [RuleKind::Override, RuleKind::Room] {
                if has(kind) {
                    delete_rule(client, kind, room_id).await?;
                }
            }
        }
    }
    Ok(())
}

/// Mutes (`true`) or unmutes a sender: a sender rule with no actions.
pub async fn mute_sender(client: &SessionClient, user_id: &str, muted: bool) -> Result<(), SyncError> {
    match muted {
        true => put_rule(client, RuleKind::Sender, user_id, &[], None, None, &Position::Top).await,
        false => delete_rule(client, RuleKind::Sender, user_id).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids() {
        assert!(validate_rule_id("pizza").is_ok());
        assert!(validate_rule_id("!room:example.org").is_ok());
        for bad in ["", ".m.rule.master", "a/b", "a\\b"] {
            assert!(validate_rule_id(bad).is_err(), "{bad}");
        }
        assert!(validate_room_id("!abc:example.org").is_ok());
        for bad in ["abc", "#alias:example.org", "", "!a/b"] {
            assert!(validate_room_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn room_modes_read_from_element_encodings() {
        let rules = Ruleset::from_value(&json!({
            "override": [{"rule_id": "!muted:x", "default": false, "enabled": true, "actions": [],
                          "conditions": [{"kind": "event_match", "key": "room_id", "pattern": "!muted:x"}]}],
            "room": [
                {"rule_id": "!quiet:x", "default": false, "enabled": true, "actions": ["dont_notify"]},
                {"rule_id": "!loud:x", "default": false, "enabled": true, "actions": ["notify"]},
                {"rule_id": "!off:x", "default": false, "enabled": false, "actions": []}
            ]
        }))
        .unwrap();
        assert_eq!(room_mode(&rules, "!muted:x"), Some(RoomNotificationMode::Mute));
        assert_eq!(
            room_mode(&rules, "!quiet:x"),
            Some(RoomNotificationMode::MentionsAndKeywordsOnly)
        );
        assert_eq!(
            room_mode(&rules, "!loud:x"),
            Some(RoomNotificationMode::AllMessages)
        );
        assert_eq!(room_mode(&rules, "!off:x"), None);
        assert_eq!(room_mode(&rules, "!other:x"), None);
    }
}
