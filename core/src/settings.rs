//! Editing the push rules: typed operations over the push-rule REST API — keywords, a room's
//! notification mode (encoded as Element clients encode it, so both read each other's settings),
//! muting a sender, and the low-level enable / actions / insert-with-position / delete — and
//! reading those settings back from a ruleset.
//!
//! Edits go to the server; the stored rules learn of them through [`crate::sync`] (the `Client`
//! refetches them right after an edit).

use crate::http::{Method, Request};
use crate::ids::{RoomId, UserId};
use crate::rules::{Action, RuleKind, Ruleset};
use crate::session::{SessionClient, SessionError};
use crate::sync::SyncError;
use serde_json::{Value, json};

/// Why editing the rules failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The edit's request failed, or there is no session.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A rule id given to an edit is not valid for it (checked before any request).
    #[error("invalid rule id {rule_id:?}: {reason}")]
    InvalidRuleId {
        /// The id as given.
        rule_id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The rules an edit starts from could not be fetched (setting a room's mode reads them
    /// first, to remove the other mode's rule).
    #[error(transparent)]
    Rules(#[from] SyncError),
}

/// Checks a user rule id: not empty, not starting with `.` (server rules), no `/` or `\`.
pub fn validate_rule_id(rule_id: &str) -> Result<(), SettingsError> {
    let reason = if rule_id.is_empty() {
        "it is empty"
    } else if rule_id.starts_with('.') {
        "ids starting with '.' belong to server-default rules"
    } else if rule_id.contains(['/', '\\']) {
        "it contains '/' or '\\'"
    } else {
        return Ok(());
    };
    Err(SettingsError::InvalidRuleId {
        rule_id: rule_id.to_owned(),
        reason,
    })
}

/// Where a new rule goes among the user rules of its kind.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Position {
    /// The top of the user rules (the server's default for a new rule).
    #[default]
    Top,
    /// Just above the user rule with this id (of the same kind).
    Before(String),
    /// Just below the user rule with this id (of the same kind).
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
) -> Result<(), SettingsError> {
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
pub async fn delete_rule(client: &SessionClient, kind: RuleKind, rule_id: &str) -> Result<(), SettingsError> {
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
) -> Result<(), SettingsError> {
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
) -> Result<(), SettingsError> {
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
pub async fn add_keyword(client: &SessionClient, keyword: &str) -> Result<(), SettingsError> {
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

/// Removes a keyword (trimmed): deletes the content rule whose id it is.
pub async fn remove_keyword(client: &SessionClient, keyword: &str) -> Result<(), SettingsError> {
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
    room: &RoomId,
    mode: RoomNotificationMode,
) -> Result<(), SettingsError> {
    // The room id names the rule, so it must also be a rule id (no `/`).
    let room_id = room.as_str();
    validate_rule_id(room_id)?;
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

/// Mutes (`true`) or unmutes a sender: a sender rule with no actions, named by the user id
/// (`put_rule` and `delete_rule` refuse one that cannot name a rule before any request).
pub async fn mute_sender(client: &SessionClient, user: &UserId, muted: bool) -> Result<(), SettingsError> {
    let user_id = user.as_str();
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
        assert!(
            validate_rule_id("!a/b").is_err(),
            "a room id that cannot name a rule"
        );
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
