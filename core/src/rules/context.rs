//! What the evaluator needs to know about the room and the user besides the event itself.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// The room and user an event is evaluated for. (The bindings call it `RuleContext`.)
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "RuleContext"))]
pub struct PushContext {
    /// The user whose rules these are; their own events never notify.
    pub user_id: String,
    /// The room the event is in, for events that do not carry their `room_id` (as in `/sync`).
    /// The event's own `room_id` wins when it has one.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[serde(default)]
    pub room_id: Option<String>,
    /// The user's display name in the room, matched as literal text (never as a glob).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[serde(default)]
    pub display_name: Option<String>,
    /// The room's joined member count; `room_member_count` conditions fail while it is unknown.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[serde(default)]
    pub member_count: Option<u64>,
    /// The room's power levels; `None` when the room has no `m.room.power_levels` event.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[serde(default, deserialize_with = "power_levels_from_content")]
    pub power_levels: Option<PowerLevels>,
    /// The room's creators: the `m.room.create` sender and `content.additional_creators`.
    /// From room version 12 they have unlimited power.
    #[cfg_attr(feature = "uniffi", uniffi(default = []))]
    #[serde(default)]
    pub creators: Vec<String>,
    /// The room version, which decides whether creators have unlimited power. When unknown,
    /// creators that were given are taken to be privileged.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[serde(default)]
    pub room_version: Option<String>,
}

/// The parts of `m.room.power_levels` content push rules use.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PowerLevels {
    /// `users`: each listed user's level, by user id.
    pub users: HashMap<String, i64>,
    /// `users_default`: the level of users not in `users` (0 when unset).
    pub users_default: i64,
    /// `notifications`: the level needed to trigger each kind of notification.
    pub notifications: HashMap<String, i64>,
}

/// A user's power: a level, or unlimited (room creators from room version 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Power {
    /// A power level.
    Level(i64),
    /// More than any level: a room creator from room version 12 on.
    Unlimited,
}

/// The level `notifications.room` takes when the power levels do not set it.
pub const DEFAULT_ROOM_NOTIFICATION_LEVEL: i64 = 50;

/// The level a creator has in a room without power levels, before room version 12.
const CREATOR_LEVEL_WITHOUT_POWER_LEVELS: i64 = 100;

impl PowerLevels {
    /// Reads power-levels content leniently: integers, or strings holding an integer (allowed in
    /// old room versions); anything else is ignored, as if absent.
    pub fn from_content(content: &Value) -> PowerLevels {
        let levels = |field: &str| -> HashMap<String, i64> {
            content
                .get(field)
                .and_then(Value::as_object)
                .map(|entries| {
                    entries
                        .iter()
                        .filter_map(|(name, level)| Some((name.clone(), as_level(level)?)))
                        .collect()
                })
                .unwrap_or_default()
        };
        PowerLevels {
            users: levels("users"),
            users_default: content.get("users_default").and_then(as_level).unwrap_or(0),
            notifications: levels("notifications"),
        }
    }

    /// The level needed for the notification `key`. Only `room` has a default in the spec; an
    /// unknown key that the room does not set has no level, so nobody may trigger it.
    pub fn notification_level(&self, key: &str) -> Option<i64> {
        match self.notifications.get(key) {
            Some(level) => Some(*level),
            None if key == "room" => Some(DEFAULT_ROOM_NOTIFICATION_LEVEL),
            None => None,
        }
    }
}

fn as_level(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn power_levels_from_content<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<PowerLevels>, D::Error> {
    let content = Option::<Value>::deserialize(deserializer)?;
    Ok(content.as_ref().map(PowerLevels::from_content))
}

impl PushContext {
    /// The context for `user_id` (`@alice:example.org`) with nothing else known: no display name,
    /// no member count, no power levels.
    pub fn new(user_id: impl Into<String>) -> PushContext {
        PushContext {
            user_id: user_id.into(),
            ..PushContext::default()
        }
    }

    /// Whether this room's creators have unlimited power (room version 12 and later).
    pub fn creators_are_privileged(&self) -> bool {
        const BEFORE_PRIVILEGED_CREATORS: [&str; 11] =
            ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"];
        match self.room_version.as_deref() {
            Some(version) => !BEFORE_PRIVILEGED_CREATORS.contains(&version),
            None => true,
        }
    }

    /// The power of `user_id` in the room.
    pub fn power_of(&self, user_id: &str) -> Power {
        let is_creator = self.creators.iter().any(|creator| creator == user_id);
        if is_creator && self.creators_are_privileged() {
            return Power::Unlimited;
        }
        Power::Level(match &self.power_levels {
            Some(levels) => levels.users.get(user_id).copied().unwrap_or(levels.users_default),
            None if is_creator => CREATOR_LEVEL_WITHOUT_POWER_LEVELS,
            None => 0,
        })
    }

    /// The level needed for the notification `key`.
    pub fn notification_level(&self, key: &str) -> Option<i64> {
        match &self.power_levels {
            Some(levels) => levels.notification_level(key),
            None => PowerLevels::default().notification_level(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn power_levels_read_leniently() {
        let levels = PowerLevels::from_content(&json!({
            "users": {"@a:x": 100, "@b:x": "75", "@c:x": {"no": 1}},
            "users_default": 10,
            "notifications": {"room": 20, "org.custom": "30"}
        }));
        assert_eq!(levels.users.get("@a:x"), Some(&100));
        assert_eq!(levels.users.get("@b:x"), Some(&75));
        assert_eq!(levels.users.get("@c:x"), None);
        assert_eq!(levels.users_default, 10);
        assert_eq!(levels.notification_level("room"), Some(20));
        assert_eq!(levels.notification_level("org.custom"), Some(30));
        assert_eq!(levels.notification_level("org.unset"), None);
        assert_eq!(
            PowerLevels::from_content(&json!({})).notification_level("room"),
            Some(50)
        );
    }

    #[test]
    fn creators_have_unlimited_power_from_room_version_12() {
        let mut cx = PushContext::new("@me:x");
        cx.creators = vec!["@creator:x".into()];
        cx.power_levels = Some(PowerLevels::from_content(&json!({"users": {"@other:x": 100}})));
        cx.room_version = Some("12".into());
        assert_eq!(cx.power_of("@creator:x"), Power::Unlimited);
        assert_eq!(cx.power_of("@other:x"), Power::Level(100));
        assert_eq!(cx.power_of("@nobody:x"), Power::Level(0));
        cx.room_version = Some("11".into());
        assert_eq!(cx.power_of("@creator:x"), Power::Level(0));
        cx.power_levels = None;
        assert_eq!(cx.power_of("@creator:x"), Power::Level(100));
        assert_eq!(cx.notification_level("room"), Some(50));
    }
}
