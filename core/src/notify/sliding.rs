//! A push's sync as simplified sliding sync (MSC4186): the request for one room on that room's
//! own connection, and its answer read into the `/sync` shape the rest of `notify` reads.
//!
//! Why: asked the same (the room's push state and members, its latest events, the account data
//! the rules need), Synapse answers it in 1.06–1.23× a `GET /event` where the filtered `/sync`
//! takes 1.4–1.6× (rows of `scripts/bench-notify`), and a first push in a room needs no second
//! request: the room's `m.room.create` comes in the same answer.
//!
//! **Connections.** The server keeps, per connection (`conn_id`), what it sent and the position
//! the client last used: using a position drops the connection's other positions
//! (`M_UNKNOWN_POS` for them). So each room has a connection of its own ([`connection_id`]) whose
//! position is kept with the cached room: pushes in different rooms never drop each other's
//! position, and a position is only ever stored with the room data it was answered with. Two
//! processes of one app (the app and its extension, one device) handling pushes of the same
//! room at once may still drop each other's: the next push in that room hears `M_UNKNOWN_POS`
//! and starts the room over (one more round trip, once). A connection unused for a week is
//! forgotten by Synapse the same way.
//!
//! **Members.** A joined room known from an earlier push, of at most [`ALL_MEMBERS_UP_TO`]
//! members (joined and invited), asks for every member's changes (`["m.room.member", "*"]`):
//! the first such push brings the room's member events once, later ones only what changed, so
//! the cache knows every member (each name told apart from all the others). Larger rooms, and
//! rooms not known yet (or known only from an invite), lazy-load: the senders of the events sent
//! and the user's own (`$LAZY`, `$ME`). On Synapse the wildcard is also the cheaper of the two
//! from a position — named or lazy members cost a database transaction on every request (which
//! of them the connection was sent before), about 0.5 ms of a 5–6 ms round trip
//! (`scripts/bench-sliding-shapes`). A room whose member events are too many for the answer's
//! cap (a long history of members who left: the wildcard brings those too) hears
//! [`HttpError::TooLarge`](crate::http::HttpError), is asked again lazily from the same position
//! within the push, and lazy-loads for good ([`RoomInfo::lazy_members`]).
//!
//! **Account data.** The answer carries the account data changed since the connection's
//! position. It applies to the stored account state because a room's position is stored only
//! together with an account state at least as new (see `fresh::store`).
//!
//! **To-device.** Only with built-in encryption, and from the device's own to-device position
//! ([`AccountState::to_device_since`](crate::store::AccountState)), which acknowledges what the
//! crypto store has taken in. Without it the push path never consumes to-device messages, so it
//! can sync incrementally on the session of the app's own Matrix SDK too. The one-time key
//! counts and device-list changes (the `e2ee` extension) only when due
//! ([`AccountState::key_counts_due`](crate::store::AccountState::key_counts_due)): on Synapse
//! they cost a quarter of a single-event round trip, and a push in an active room needs none of
//! them. Device-list changes a push does not ask for are not lost to the device: the app's own
//! sync, from its own position, brings them.

use crate::http::{Method, Request, SYNC_MAX_BODY};
use crate::session::SessionClient;
use serde_json::{Map, Value, json};

use super::fresh::FreshError;
use super::room::{PUSH_STATE, RoomInfo};

/// The endpoint, relative to `/_matrix/client/v3/` (Synapse serves MSC4186 under this unstable
/// prefix).
const PATH: &str = "../unstable/org.matrix.simplified_msc3575/sync";

/// The connection of the push path in `room_id`.
fn connection_id(room_id: &str) -> String {
    format!("io.matrixpush.push.{room_id}")
}

/// The most members (joined and invited) a room may have for its pushes to sync every member's
/// changes (see [`Members`]): the first such push brings at most this many member events of
/// current members.
pub const ALL_MEMBERS_UP_TO: u64 = 50;

/// Which member events a push's sliding sync asks for (see the module's docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Members {
    /// Every member's changes (`["m.room.member", "*"]`): a joined room known from an earlier
    /// push, of at most [`ALL_MEMBERS_UP_TO`] members.
    All,
    /// The senders of the events sent and the user's own (`$LAZY`, `$ME`): larger rooms, rooms
    /// not known yet, and rooms whose member events were once too many to sync in full.
    Lazy,
}

impl Members {
    /// What a push in `room` (as cached; `None` when it is not) asks for. Only a joined room's
    /// counts choose: an invite's come from its stripped state, which may name a few members of
    /// a crowded room (the push path caches joined rooms only; this holds should that change).
    pub fn for_room(room: Option<&RoomInfo>) -> Members {
        match room {
            Some(room)
                if room.membership == "join"
                    && !room.lazy_members
                    && room.joined_members + room.invited_members <= ALL_MEMBERS_UP_TO =>
            {
                Members::All
            }
            _ => Members::Lazy,
        }
    }
}

/// What a push asks of the sync for the device's encryption (built-in encryption only).
#[derive(Clone, Copy, Debug)]
pub struct DeviceSync<'a> {
    /// The device's to-device position (`None`: from its first message).
    pub to_device_since: Option<&'a str>,
    /// Whether to ask for the one-time key counts and device-list changes too (the `e2ee`
    /// extension; when, see [`AccountState::key_counts_due`](crate::store::AccountState)).
    pub key_counts: bool,
}

/// The request of a push in `room_id`: from `pos` (the room's connection position; `None`
/// starts the connection over), for `members`, with the to-device (and, when asked, the
/// encryption) extension when `device` is `Some`.
pub fn request(
    session: &SessionClient,
    room_id: &str,
    pos: Option<&str>,
    members: Members,
    device: Option<DeviceSync<'_>>,
) -> Request {
    let mut url = session.url(PATH);
    url.query_pairs_mut().append_pair("timeout", "0");
    if let Some(pos) = pos {
        url.query_pairs_mut().append_pair("pos", pos);
    }
    let mut required_state: Vec<Value> = PUSH_STATE
        .iter()
        .filter(|kind| **kind != "m.room.member")
        .map(|kind| json!([kind, ""]))
        .collect();
    match members {
        Members::All => required_state.push(json!(["m.room.member", "*"])),
        Members::Lazy => {
            // The senders of the events sent, and the user's own membership (invite, DM flag,
            // name).
            required_state.push(json!(["m.room.member", "$LAZY"]));
            required_state.push(json!(["m.room.member", "$ME"]));
        }
    }
    let mut extensions = json!({
        // Global account data only: the rules and ignored users are global.
        "account_data": {"enabled": true, "lists": [], "rooms": []},
        // The room's receipts: a read receipt of the user's at or after the pushed event says
        // it was read elsewhere (the answer's unread counts cannot: Synapse sends 0).
        "receipts": {"enabled": true, "lists": [], "rooms": [room_id]}
    });
    if let Some(device) = device {
        let mut to_device = json!({"enabled": true});
        if let Some(since) = device.to_device_since {
            to_device["since"] = json!(since);
        }
        extensions["to_device"] = to_device;
        // Said either way: MSC3575 made extensions sticky, which a server may still follow.
        extensions["e2ee"] = json!({"enabled": device.key_counts});
    }
    let body = json!({
        "conn_id": connection_id(room_id),
        "room_subscriptions": {room_id: {
            "required_state": required_state,
            "timeline_limit": super::fresh::PUSH_TIMELINE_LIMIT,
        }},
        "extensions": extensions,
    });
    Request::new(Method::Post, url).json(body).max_body(SYNC_MAX_BODY)
}

/// What the server said instead of an answer, when it matters here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The position is gone (dropped or expired): start the connection over.
    UnknownPosition,
    /// The server does not serve sliding sync (to this user): use `/sync`.
    Unsupported,
}

/// Which [`Refusal`] `error` is, if any.
pub fn refusal(error: &crate::http::MatrixError) -> Option<Refusal> {
    match (error.status, error.errcode.as_str()) {
        (400, "M_UNKNOWN_POS") => Some(Refusal::UnknownPosition),
        (404 | 405 | 501, _) | (400, "M_UNRECOGNIZED") => Some(Refusal::Unsupported),
        _ => None,
    }
}

/// The answer in the `/sync` shape, for `room_id`: `next_batch` is the connection's new
/// position; the room under `rooms.join` (its required state as the state, then the
/// timeline; counts and heroes as the summary; the unread counts) or, with invite state, under
/// `rooms.invite`; the account data; and for the device's crypto the to-device messages (with
/// `to_device.next_batch`, the new to-device position), device-list changes and key counts.
pub fn to_sync_shape(answer: &Value, room_id: &str) -> Result<Value, FreshError> {
    let answer = answer
        .as_object()
        .ok_or(FreshError::Malformed("the answer as an object"))?;
    let pos = answer
        .get("pos")
        .and_then(Value::as_str)
        .ok_or(FreshError::Malformed("pos"))?;
    let mut sync = json!({"next_batch": pos});
    let room = match answer.get("rooms") {
        None => None,
        Some(rooms) => {
            let rooms = rooms
                .as_object()
                .ok_or(FreshError::Malformed("rooms as an object"))?;
            rooms.get(room_id)
        }
    };
    if let Some(room) = room {
        let room = room
            .as_object()
            .ok_or(FreshError::Malformed("the room as an object"))?;
        let (section, entry) = match room.get("invite_state") {
            Some(invite_state) => ("invite", json!({"invite_state": {"events": list(invite_state)?}})),
            None => {
                let mut joined = joined_room(room)?;
                let receipts = answer
                    .get("extensions")
                    .and_then(|extensions| extensions.pointer("/receipts/rooms"))
                    .and_then(|rooms| rooms.get(room_id));
                if let Some(receipts) = receipts {
                    joined["ephemeral"] = json!({"events": [receipts]});
                }
                ("join", joined)
            }
        };
        sync["rooms"] = json!({ section: { room_id: entry } });
    }
    let extensions = answer.get("extensions").unwrap_or(&Value::Null);
    if let Some(global) = extensions.pointer("/account_data/global") {
        sync["account_data"] = json!({"events": list(global)?});
    }
    if let Some(to_device) = extensions.get("to_device") {
        let mut part = json!({"events": list(to_device.get("events").unwrap_or(&json!([])))?});
        if let Some(next) = to_device.get("next_batch") {
            part["next_batch"] = json!(
                next.as_str()
                    .ok_or(FreshError::Malformed("to_device.next_batch"))?
            );
        }
        sync["to_device"] = part;
    }
    if let Some(e2ee) = extensions.get("e2ee").and_then(Value::as_object) {
        for key in [
            "device_lists",
            "device_one_time_keys_count",
            "device_unused_fallback_key_types",
        ] {
            if let Some(value) = e2ee.get(key) {
                sync[key] = value.clone();
            }
        }
    }
    Ok(sync)
}

/// A room of the answer as a `/sync` joined room.
fn joined_room(room: &Map<String, Value>) -> Result<Value, FreshError> {
    let mut state = Vec::new();
    let mut summary = Map::new();
    if let Some(heroes) = room.get("heroes") {
        let heroes = list(heroes)?;
        let mut ids = Vec::new();
        for hero in &heroes {
            let Some(user_id) = hero.get("user_id").and_then(Value::as_str) else {
                return Err(FreshError::Malformed("a hero without a user id"));
            };
            ids.push(json!(user_id));
            // The heroes' names come with them, not as member events: as the state they are
            // (first, so that a member event of the answer wins).
            let mut content = json!({"membership": "join"});
            for (from, to) in [("displayname", "displayname"), ("avatar_url", "avatar_url")] {
                if let Some(value) = hero.get(from).filter(|value| value.is_string()) {
                    content[to] = value.clone();
                }
            }
            state.push(json!({"type": "m.room.member", "state_key": user_id, "content": content}));
        }
        summary.insert("m.heroes".into(), Value::Array(ids));
    }
    for (from, to) in [
        ("joined_count", "m.joined_member_count"),
        ("invited_count", "m.invited_member_count"),
    ] {
        if let Some(count) = room.get(from) {
            summary.insert(to.into(), count.clone());
        }
    }
    if let Some(required_state) = room.get("required_state") {
        state.extend(list(required_state)?);
    }
    let mut joined = json!({"state": {"events": state}, "summary": summary});
    let timeline = room.get("timeline").map(list).transpose()?.unwrap_or_default();
    joined["timeline"] = json!({
        "events": timeline,
        "limited": room.get("limited").and_then(Value::as_bool).unwrap_or(false),
    });
    // No unread counts: Synapse 1.163 sends 0 whatever the room holds (read receipts tell
    // instead, see `request`).
    Ok(joined)
}

fn list(value: &Value) -> Result<Vec<Value>, FreshError> {
    value
        .as_array()
        .cloned()
        .ok_or(FreshError::Malformed("a list of events"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incremental_answer_reads_as_the_sync_shape() {
        let answer = json!({
            "pos": "7/s10",
            "rooms": {"!r:x": {
                "joined_count": 3,
                "heroes": [{"user_id": "@a:x", "displayname": "Alice"}],
                "required_state": [{"type": "m.room.name", "state_key": "", "content": {"name": "N"}}],
                "timeline": [{"type": "m.room.message", "event_id": "$e", "sender": "@a:x", "content": {"body": "hi"}}],
                "limited": false,
                "notification_count": 0,
                "highlight_count": 0
            }},
            "extensions": {
                "receipts": {"rooms": {"!r:x": {"type": "m.receipt", "content": {"$e": {"m.read": {"@me:x": {"ts": 1}}}}}}},
                "account_data": {"global": [{"type": "m.ignored_user_list", "content": {"ignored_users": {}}}], "rooms": {}},
                "to_device": {"next_batch": "td9", "events": []},
                "e2ee": {"device_one_time_keys_count": {"signed_curve25519": 50}, "device_lists": {"changed": ["@a:x"], "left": []}}
            }
        });
        let sync = to_sync_shape(&answer, "!r:x").unwrap();
        assert_eq!(sync["next_batch"], "7/s10");
        let room = &sync["rooms"]["join"]["!r:x"];
        assert_eq!(room["summary"]["m.joined_member_count"], 3);
        assert_eq!(room["summary"]["m.heroes"], json!(["@a:x"]));
        let state = room["state"]["events"].as_array().unwrap();
        assert_eq!(
            state[0]["content"]["displayname"], "Alice",
            "the hero as a member, first"
        );
        assert_eq!(state[1]["type"], "m.room.name");
        assert_eq!(room["timeline"]["events"][0]["event_id"], "$e");
        assert!(
            room.get("unread_notifications").is_none(),
            "Synapse's counts are dummies"
        );
        assert_eq!(room["ephemeral"]["events"][0]["type"], "m.receipt");
        assert_eq!(sync["account_data"]["events"][0]["type"], "m.ignored_user_list");
        assert_eq!(sync["to_device"]["next_batch"], "td9");
        assert_eq!(sync["device_one_time_keys_count"]["signed_curve25519"], 50);
        assert_eq!(sync["device_lists"]["changed"], json!(["@a:x"]));
    }

    #[test]
    fn an_invite_and_an_unchanged_room_read_as_the_sync_shape() {
        let invite = json!({"pos": "1/s2", "rooms": {"!r:x": {"invite_state": [
            {"type": "m.room.member", "state_key": "@me:x", "sender": "@a:x", "content": {"membership": "invite"}}]}}});
        let sync = to_sync_shape(&invite, "!r:x").unwrap();
        assert_eq!(
            sync["rooms"]["invite"]["!r:x"]["invite_state"]["events"][0]["sender"],
            "@a:x"
        );
        let unchanged = to_sync_shape(&json!({"pos": "2/s3", "rooms": {}}), "!r:x").unwrap();
        assert_eq!(unchanged, json!({"next_batch": "2/s3"}));
    }

    #[test]
    fn answers_of_the_wrong_shape_are_errors() {
        for answer in [
            json!([]),
            json!({}),
            json!({"pos": 3}),
            json!({"pos": "p", "rooms": []}),
            json!({"pos": "p", "rooms": {"!r:x": "x"}}),
            json!({"pos": "p", "rooms": {"!r:x": {"timeline": {}}}}),
            json!({"pos": "p", "rooms": {"!r:x": {"heroes": [{"displayname": "A"}]}}}),
            json!({"pos": "p", "extensions": {"account_data": {"global": {}}}}),
            json!({"pos": "p", "extensions": {"to_device": {"next_batch": 4, "events": []}}}),
        ] {
            assert!(to_sync_shape(&answer, "!r:x").is_err(), "{answer}");
        }
    }

    fn room_of(joined: u64, invited: u64) -> RoomInfo {
        let mut room = RoomInfo::new(crate::ids::RoomId::parse("!r:x").unwrap());
        (room.joined_members, room.invited_members) = (joined, invited);
        room.membership = "join".into();
        room
    }

    #[test]
    fn small_known_rooms_sync_every_member_and_the_rest_lazily() {
        assert_eq!(Members::for_room(None), Members::Lazy, "not known yet");
        assert_eq!(Members::for_room(Some(&room_of(2, 0))), Members::All);
        assert_eq!(Members::for_room(Some(&room_of(40, 10))), Members::All);
        assert_eq!(Members::for_room(Some(&room_of(40, 11))), Members::Lazy);
        let mut crowded_history = room_of(3, 0);
        crowded_history.lazy_members = true;
        assert_eq!(Members::for_room(Some(&crowded_history)), Members::Lazy);
        let mut invite = room_of(1, 1);
        invite.membership = "invite".into();
        assert_eq!(
            Members::for_room(Some(&invite)),
            Members::Lazy,
            "an invite's counts are not the room's"
        );
    }

    #[test]
    fn the_request_asks_for_the_members_it_is_told() {
        let session = SessionClient::new(
            crate::http::Transport::new(Default::default()).unwrap(),
            url::Url::parse("http://127.0.0.1:1/").unwrap(),
            std::sync::Arc::new(crate::session::MemorySessionStore::default()),
            None,
            None,
        );
        let member_keys = |members| {
            let request = request(&session, "!r:x", Some("3"), members, None);
            let body = request.body.unwrap();
            let state = body
                .pointer("/room_subscriptions/!r:x/required_state")
                .unwrap()
                .clone();
            assert!(
                state
                    .as_array()
                    .unwrap()
                    .contains(&json!(["m.room.power_levels", ""]))
            );
            assert_eq!(body["extensions"]["receipts"]["rooms"], json!(["!r:x"]));
            assert!(request.url.query().unwrap().contains("pos=3"));
            let keys: Vec<Value> = state
                .as_array()
                .unwrap()
                .iter()
                .filter(|entry| entry[0] == "m.room.member")
                .map(|entry| entry[1].clone())
                .collect();
            keys
        };
        assert_eq!(member_keys(Members::All), vec![json!("*")]);
        assert_eq!(member_keys(Members::Lazy), vec![json!("$LAZY"), json!("$ME")]);
    }

    #[test]
    fn refusals_are_told_apart() {
        let error = |status, errcode: &str| crate::http::MatrixError {
            status,
            errcode: errcode.into(),
            message: String::new(),
            soft_logout: false,
            retry_after: None,
        };
        assert_eq!(
            refusal(&error(400, "M_UNKNOWN_POS")),
            Some(Refusal::UnknownPosition)
        );
        assert_eq!(refusal(&error(404, "M_UNRECOGNIZED")), Some(Refusal::Unsupported));
        assert_eq!(refusal(&error(400, "M_UNRECOGNIZED")), Some(Refusal::Unsupported));
        assert_eq!(refusal(&error(400, "M_BAD_JSON")), None);
        assert_eq!(refusal(&error(429, "M_LIMIT_EXCEEDED")), None);
    }
}
