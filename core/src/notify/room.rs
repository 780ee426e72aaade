//! What a notification needs to know about a room — its name, whether it is a DM, the joined
//! member count, power levels, creators and the members seen so far — read from a room-filtered
//! `/sync` (joined or invited), kept in the store between pushes with the sync position it is
//! current at, and brought up to date from an incremental sync's state changes; and the
//! summaries a settings screen lists every joined room with, from one `/sync` over all of them.
//!
//! The display name follows the spec's algorithm: `m.room.name`, else the canonical alias, else
//! the heroes ("Alice", "Alice and Bob", "Alice, Bob and 3 others"), else "Empty Room".

use crate::ids::RoomId;
use crate::settings::RoomNotificationMode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A room member as a notification shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The member's display name in the room; `None` when they have none (show the user id).
    pub display_name: Option<String>,
    /// `mxc://` URL of the member's avatar in the room; `None` when they have none.
    pub avatar_url: Option<String>,
}

/// The room metadata cached between pushes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoomInfo {
    /// The room's id (`!abc:example.org`).
    pub room_id: RoomId,
    /// The room's `m.room.name`; `None` when it has none (the display name then comes from the
    /// alias or the heroes).
    pub name: Option<String>,
    /// `mxc://` URL of the room's avatar (`m.room.avatar`).
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The room's canonical alias (`#room:example.org`), if it has one.
    pub canonical_alias: Option<String>,
    /// The heroes the server chose for an unnamed room (user ids), for its display name.
    pub heroes: Vec<String>,
    /// How many members have joined.
    pub joined_members: u64,
    /// How many members are invited and have not joined yet.
    pub invited_members: u64,
    /// `m.room.power_levels` content.
    pub power_levels: Option<Value>,
    /// The `m.room.create` sender and `additional_creators`.
    pub creators: Vec<String>,
    /// The room version from `m.room.create` (`None` until the creation event was read).
    pub room_version: Option<String>,
    /// The members, by user id: every one for a room whose pushes sync all members' changes
    /// (see `sliding::Members`), else those seen (heroes, senders, the user).
    pub members: BTreeMap<String, Member>,
    /// The user's own membership: `join` or `invite`.
    pub membership: String,
    /// For an invite: who sent it.
    pub inviter: Option<String>,
    /// The invite or the room was marked as a direct chat.
    pub is_direct: bool,
    /// Whether the room is encrypted (`m.room.encryption`, which cannot be turned off); `None`:
    /// not known (a room read without its whole push state, or cached before this was kept).
    #[serde(default)]
    pub encrypted: Option<bool>,
    /// The `/sync` position this room is current at (`None`: not to be brought up to date, only
    /// fetched again).
    #[serde(default)]
    pub since: Option<String>,
    /// The position of the room's sliding-sync connection this room is current at (see
    /// `sliding`); `None`: the next sliding-sync push starts the connection over.
    #[serde(default)]
    pub connection_pos: Option<String>,
    /// The room's member events were once too many for a push's answer to carry them all: its
    /// pushes lazy-load members from then on, however few they are (see `sliding::Members`).
    #[serde(default)]
    pub lazy_members: bool,
    /// The id of the push path's sync filter for this room, uploaded to the server (a filter by
    /// id spares the server from validating it on every push).
    #[serde(default)]
    pub filter_id: Option<String>,
    /// The room's unread notification count when just synced (never cached: it goes stale).
    #[serde(skip)]
    pub notification_count: Option<u64>,
}

/// A joined room as a settings screen lists it (see `Client::rooms`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RoomSummary {
    /// The room's id (`!abc:example.org`).
    pub room_id: RoomId,
    /// The room's display name (spec algorithm, as notifications show it).
    pub name: String,
    /// A direct chat (see [`RoomInfo::is_dm`]).
    pub is_dm: bool,
    /// How many members have joined.
    pub joined_members: u64,
    /// The room's own notification mode; `None`: the account's defaults apply.
    pub mode: Option<RoomNotificationMode>,
}

/// The state a room's display name needs (with the lazy-loaded members of its heroes).
const NAME_STATE: [&str; 3] = ["m.room.name", "m.room.canonical_alias", "m.room.member"];

/// The state a push is judged and shown with, and `m.room.encryption` (whether a push there
/// needs the crypto store).
pub const PUSH_STATE: [&str; 7] = [
    "m.room.name",
    "m.room.avatar",
    "m.room.canonical_alias",
    "m.room.member",
    "m.room.power_levels",
    "m.room.create",
    "m.room.encryption",
];

/// The `/sync` filter that returns one room's metadata and nothing else.
pub fn room_filter(room_id: &str) -> Value {
    state_only_filter(Some(room_id), &PUSH_STATE)
}

/// The `/sync` filter that returns, for every room, only what its display name and member count
/// need: name, canonical alias, the heroes' member events and the summary.
pub fn room_list_filter() -> Value {
    state_only_filter(None, &NAME_STATE)
}

/// A filter for `state_types` of `room` (every room when `None`), lazy-loading members: no
/// timeline, receipts, typing, presence or account data.
fn state_only_filter(room: Option<&str>, state_types: &[&str]) -> Value {
    let mut room_part = json!({
        "timeline": {"limit": 0},
        "state": {"types": state_types, "lazy_load_members": true},
        "ephemeral": {"types": []},
        "account_data": {"types": []}
    });
    if let Some(room_id) = room {
        room_part["rooms"] = json!([room_id]);
    }
    json!({
        "room": room_part,
        "presence": {"types": []},
        "account_data": {"types": []}
    })
}

impl RoomInfo {
    /// A room known by its id alone: no name, state or members yet.
    pub fn new(room_id: RoomId) -> RoomInfo {
        RoomInfo {
            room_id,
            name: None,
            avatar_url: None,
            canonical_alias: None,
            heroes: Vec::new(),
            joined_members: 0,
            invited_members: 0,
            power_levels: None,
            creators: Vec::new(),
            room_version: None,
            members: BTreeMap::new(),
            membership: String::new(),
            inviter: None,
            is_direct: false,
            encrypted: None,
            since: None,
            connection_pos: None,
            lazy_members: false,
            filter_id: None,
            notification_count: None,
        }
    }

    /// Reads the room from a `/sync` response filtered with [`room_filter`]; `None` when the
    /// user is neither in nor invited to it (or the response has it in the wrong shape).
    pub fn from_sync(sync: &Value, room_id: &RoomId, user_id: &str) -> Option<RoomInfo> {
        let mut info = RoomInfo::new(room_id.clone());
        let room_id = room_id.as_str();
        if let Some(joined) = sync.pointer("/rooms/join").and_then(|rooms| rooms.get(room_id)) {
            info.membership = "join".into();
            info.apply_sync(joined, user_id).ok()?;
            // Synapse leaves out counts that did not change; with none at all, count who we saw.
            if info.joined_members == 0 {
                info.joined_members = (info.members.len() as u64).max(1);
            }
            return Some(info);
        }
        let invited = sync
            .pointer("/rooms/invite")
            .and_then(|rooms| rooms.get(room_id))?;
        info.membership = "invite".into();
        let events = invited.pointer("/invite_state/events").and_then(Value::as_array);
        for event in events.into_iter().flatten() {
            info.apply_state(event, user_id);
        }
        info.joined_members = info.members.len().saturating_sub(1).max(1) as u64;
        info.invited_members = 1;
        Some(info)
    }

    /// Brings the room up to date with its entry under `rooms.join` of a `/sync` response (from
    /// scratch or incremental): the state, then the state events of the timeline, which come
    /// after it; the summary's counts and heroes where the server sent them (it leaves out what
    /// did not change); the unread count. Errors name the part in the wrong shape.
    pub fn apply_sync(&mut self, joined: &Value, user_id: &str) -> Result<(), &'static str> {
        let joined = joined.as_object().ok_or("a joined room as an object")?;
        let events = |part: &str| -> Result<Vec<Value>, &'static str> {
            match joined.get(part).map(|p| p.get("events")) {
                None | Some(None) => Ok(Vec::new()),
                Some(Some(Value::Array(events))) => Ok(events.clone()),
                Some(Some(_)) => Err("room state and timeline events as lists"),
            }
        };
        for event in events("state")?.iter().chain(&events("timeline")?) {
            if event.get("state_key").is_some_and(Value::is_string) {
                self.apply_state(event, user_id);
            }
        }
        if let Some(summary) = joined.get("summary") {
            let summary = summary.as_object().ok_or("the room summary as an object")?;
            let count = |key: &str| match summary.get(key) {
                None => Ok(None),
                Some(count) => count.as_u64().map(Some).ok_or("member counts as numbers"),
            };
            if let Some(joined_members) = count("m.joined_member_count")? {
                self.joined_members = joined_members;
            }
            if let Some(invited_members) = count("m.invited_member_count")? {
                self.invited_members = invited_members;
            }
            if let Some(heroes) = summary.get("m.heroes") {
                let heroes = heroes.as_array().ok_or("the heroes as a list")?;
                self.heroes = heroes
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
            }
        }
        self.notification_count = joined
            .get("unread_notifications")
            .and_then(|counts| counts.get("notification_count"))
            .and_then(Value::as_u64);
        Ok(())
    }

    /// Every joined room in a `/sync` response (filtered with [`room_list_filter`] or
    /// [`room_filter`]), in no particular order. Invites and left rooms are not included.
    pub fn joined_from_sync(sync: &Value, user_id: &str) -> Vec<RoomInfo> {
        let Some(joined) = sync.pointer("/rooms/join").and_then(Value::as_object) else {
            return Vec::new();
        };
        joined
            .keys()
            // A key that is no room id is the server's mistake: that room is left out.
            .filter_map(|room_id| RoomId::parse(room_id.as_str()).ok())
            .filter_map(|room_id| RoomInfo::from_sync(sync, &room_id, user_id))
            .collect()
    }

    /// Takes in one state event (full or stripped).
    pub fn apply_state(&mut self, event: &Value, user_id: &str) {
        let text = |pointer: &str| event.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
        let content = event.get("content").unwrap_or(&Value::Null);
        match event.get("type").and_then(Value::as_str).unwrap_or_default() {
            "m.room.name" => self.name = text("/content/name").filter(|n| !n.trim().is_empty()),
            "m.room.avatar" => self.avatar_url = text("/content/url").filter(|url| !url.is_empty()),
            "m.room.canonical_alias" => {
                self.canonical_alias = text("/content/alias").filter(|a| !a.is_empty());
            }
            "m.room.power_levels" => self.power_levels = Some(content.clone()),
            "m.room.create" => self.apply_create(event),
            "m.room.encryption" => self.encrypted = Some(true),
            "m.room.member" => {
                let Some(member_id) = text("/state_key") else {
                    return;
                };
                let membership = text("/content/membership").unwrap_or_default();
                if member_id == user_id {
                    if content.get("is_direct").and_then(Value::as_bool) == Some(true) {
                        self.is_direct = true;
                    }
                    if membership == "invite" {
                        self.inviter = text("/sender");
                    }
                }
                if member_id == user_id && matches!(membership.as_str(), "join" | "invite" | "leave" | "ban")
                {
                    self.membership = membership.clone();
                }
                if matches!(membership.as_str(), "join" | "invite") {
                    self.members.insert(
                        member_id,
                        Member {
                            display_name: text("/content/displayname").filter(|n| !n.trim().is_empty()),
                            avatar_url: text("/content/avatar_url"),
                        },
                    );
                } else {
                    // Gone: no longer a name to tell others apart from.
                    self.members.remove(&member_id);
                }
            }
            _ => {}
        }
    }

    /// Takes in the `m.room.create` event (with its sender).
    pub fn apply_create(&mut self, event: &Value) {
        let mut creators: Vec<String> = event
            .get("sender")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect();
        if let Some(additional) = event
            .pointer("/content/additional_creators")
            .and_then(Value::as_array)
        {
            creators.extend(additional.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        if !creators.is_empty() {
            self.creators = creators;
        }
        self.room_version = Some(
            event
                .pointer("/content/room_version")
                .and_then(Value::as_str)
                .unwrap_or("1")
                .to_owned(),
        );
    }

    /// A member's name as a notification shows it: the display name, disambiguated with the user
    /// id when another known member has the same one; the user id when there is none.
    pub fn member_name(&self, user_id: &str) -> String {
        let Some(name) = self.members.get(user_id).and_then(|m| m.display_name.clone()) else {
            return user_id.to_owned();
        };
        let shared = self
            .members
            .iter()
            .any(|(other, member)| other != user_id && member.display_name.as_deref() == Some(name.as_str()));
        if shared {
            format!("{name} ({user_id})")
        } else {
            name
        }
    }

    /// The room's display name, for `user_id` (who is never one of its own heroes).
    pub fn display_name(&self, user_id: &str) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        if let Some(alias) = &self.canonical_alias {
            return alias.clone();
        }
        let heroes: Vec<String> = self
            .heroes
            .iter()
            .filter(|h| *h != user_id)
            .map(|h| self.member_name(h))
            .collect();
        let others = (self.joined_members + self.invited_members).saturating_sub(1) as usize;
        let listed = match heroes.as_slice() {
            [] => return "Empty Room".into(),
            [one] => one.clone(),
            [first @ .., last] if others <= heroes.len() => format!("{} and {last}", first.join(", ")),
            all => {
                let more = others - all.len();
                format!(
                    "{} and {more} other{}",
                    all.join(", "),
                    if more == 1 { "" } else { "s" }
                )
            }
        };
        if others == 0 {
            format!("Empty Room (was {listed})")
        } else {
            listed
        }
    }

    /// A direct chat: marked as one, or a two-person room without a name.
    pub fn is_dm(&self) -> bool {
        self.is_direct
            || (self.name.is_none()
                && self.canonical_alias.is_none()
                && self.joined_members + self.invited_members <= 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(heroes: &[&str], joined: u64) -> RoomInfo {
        let mut info = RoomInfo::new(RoomId::parse("!r:x").unwrap());
        info.heroes = heroes.iter().map(|h| h.to_string()).collect();
        info.joined_members = joined;
        for (id, name) in [
            ("@a:x", "Alice"),
            ("@b:x", "Bob"),
            ("@c:x", "Carol"),
            ("@me:x", "Me"),
        ] {
            info.members.insert(
                id.into(),
                Member {
                    display_name: Some(name.into()),
                    avatar_url: None,
                },
            );
        }
        info
    }

    #[test]
    fn room_names_follow_the_spec() {
        assert_eq!(room(&["@a:x"], 2).display_name("@me:x"), "Alice");
        assert_eq!(room(&["@a:x", "@b:x"], 3).display_name("@me:x"), "Alice and Bob");
        assert_eq!(
            room(&["@a:x", "@b:x", "@c:x"], 4).display_name("@me:x"),
            "Alice, Bob and Carol"
        );
        assert_eq!(
            room(&["@a:x", "@b:x"], 7).display_name("@me:x"),
            "Alice, Bob and 4 others"
        );
        assert_eq!(room(&[], 1).display_name("@me:x"), "Empty Room");
        assert_eq!(room(&["@a:x"], 1).display_name("@me:x"), "Empty Room (was Alice)");
        let mut named = room(&["@a:x"], 2);
        named.canonical_alias = Some("#alias:x".into());
        assert_eq!(named.display_name("@me:x"), "#alias:x");
        named.name = Some("Lunch".into());
        assert_eq!(named.display_name("@me:x"), "Lunch");
    }

    #[test]
    fn same_display_names_are_told_apart() {
        let mut info = room(&[], 3);
        info.members.insert(
            "@a2:y".into(),
            Member {
                display_name: Some("Alice".into()),
                avatar_url: None,
            },
        );
        assert_eq!(info.member_name("@a:x"), "Alice (@a:x)");
        assert_eq!(info.member_name("@b:x"), "Bob");
        assert_eq!(info.member_name("@unknown:x"), "@unknown:x");
    }

    #[test]
    fn dms() {
        assert!(room(&["@a:x"], 2).is_dm());
        assert!(!room(&["@a:x", "@b:x"], 3).is_dm());
        let mut named = room(&["@a:x"], 2);
        named.name = Some("Project".into());
        assert!(!named.is_dm());
        named.is_direct = true;
        assert!(named.is_dm());
    }

    #[test]
    fn reads_a_joined_room_and_an_invite_from_sync() {
        let sync = json!({"rooms": {
            "join": {"!j:x": {
                "summary": {"m.joined_member_count": 2, "m.invited_member_count": 0, "m.heroes": ["@a:x"]},
                "state": {"events": [
                    {"type": "m.room.power_levels", "state_key": "", "content": {"users": {"@a:x": 100}}},
                    {"type": "m.room.member", "state_key": "@a:x", "sender": "@a:x", "content": {"membership": "join", "displayname": "Alice"}},
                    {"type": "m.room.member", "state_key": "@me:x", "sender": "@me:x", "content": {"membership": "join"}}
                ]}
            }},
            "invite": {"!i:x": {"invite_state": {"events": [
                {"type": "m.room.name", "state_key": "", "sender": "@b:x", "content": {"name": "Secret plans"}},
                {"type": "m.room.member", "state_key": "@b:x", "sender": "@b:x", "content": {"membership": "join", "displayname": "Bob"}},
                {"type": "m.room.member", "state_key": "@me:x", "sender": "@b:x", "content": {"membership": "invite", "is_direct": true}}
            ]}}}
        }});
        let joined = RoomInfo::from_sync(&sync, &RoomId::parse("!j:x").unwrap(), "@me:x").unwrap();
        assert_eq!(
            (joined.joined_members, joined.display_name("@me:x").as_str()),
            (2, "Alice")
        );
        assert!(joined.is_dm() && joined.power_levels.is_some());
        let invite = RoomInfo::from_sync(&sync, &RoomId::parse("!i:x").unwrap(), "@me:x").unwrap();
        assert_eq!(invite.membership, "invite");
        assert_eq!(invite.inviter.as_deref(), Some("@b:x"));
        assert_eq!(invite.display_name("@me:x"), "Secret plans");
        assert!(invite.is_direct);
        assert!(RoomInfo::from_sync(&sync, &RoomId::parse("!other:x").unwrap(), "@me:x").is_none());
        let listed: Vec<RoomId> = RoomInfo::joined_from_sync(&sync, "@me:x")
            .into_iter()
            .map(|room| room.room_id)
            .collect();
        assert_eq!(listed, ["!j:x"], "invites are not listed");
        assert!(RoomInfo::joined_from_sync(&json!({}), "@me:x").is_empty());
    }

    #[test]
    fn the_room_list_filter_asks_for_names_of_every_room_only() {
        let list = room_list_filter();
        assert!(list.pointer("/room/rooms").is_none(), "every room");
        assert_eq!(
            list.pointer("/room/state/types"),
            Some(&json!(["m.room.name", "m.room.canonical_alias", "m.room.member"]))
        );
        assert_eq!(list.pointer("/room/state/lazy_load_members"), Some(&json!(true)));
        assert_eq!(list.pointer("/room/timeline/limit"), Some(&json!(0)));
        assert_eq!(list.pointer("/presence/types"), Some(&json!([])));
        assert_eq!(list.pointer("/account_data/types"), Some(&json!([])));
        let one = room_filter("!r:x");
        assert_eq!(one.pointer("/room/rooms"), Some(&json!(["!r:x"])));
        let types = one
            .pointer("/room/state/types")
            .and_then(Value::as_array)
            .unwrap();
        assert!(types.contains(&json!("m.room.power_levels")) && types.contains(&json!("m.room.create")));
    }
}
