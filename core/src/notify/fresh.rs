//! What is current as of a push, in the one round of requests that also fetches the event.
//!
//! The store is a base for deltas, never the truth. For a cached room with a position, one sync
//! from that position, limited to the room, brings every change since: the room's state changes
//! (name, alias, power levels, members joining, leaving or renamed), the member events of the
//! latest timeline events' senders, the member counts and heroes when memberships changed, and
//! the account data the rules need (`m.push_rules`, `m.ignored_user_list`). For a room not
//! cached, or an account state that cannot take deltas, the same sync from scratch brings all of
//! it. Either way the decision is made on data current as of the sync, which ran after the push
//! arrived.
//!
//! The sync is simplified sliding sync (MSC4186, see `sliding`) where the server serves it —
//! faster on Synapse, and one request for a first push too — and otherwise a `/sync` filtered to
//! the room ([`push_sync_filter`]). `sliding` reads its answer into the `/sync` shape, so
//! [`apply`] reads both; each keeps its own position with the room (`connection_pos`, `since`).
//!
//! The sync's timeline (the room's latest events since the position, up to
//! [`PUSH_TIMELINE_LIMIT`]) usually holds the pushed event itself, with its sender's member event
//! in the state: then the sync is the only request a warm push makes.
//!
//! Details of Synapse shape the `/sync` request: a joined room with no timeline event in the
//! answer is left out entirely (so the timeline is never empty by filter); validating a filter
//! given inline costs more than the rest of a small sync, so each cached room has its filter
//! uploaded once and named by id; and identical sync requests within two minutes get the first
//! answer again, so each request differs (see [`sync_url`] and [`request`]).
//!
//! What comes back is stored again so that positions only move forward (see `store`): the
//! account state replaces the stored one only if no other process replaced it meanwhile, and the
//! room is labelled with the new position only in that case — otherwise with the position it
//! was read with (sliding sync), or the `/sync` position of the account state this sync started
//! from, which the stored one is at least as new as.

use super::decide::Rules;
use super::room::{PUSH_STATE, RoomInfo};
use crate::http::{Method, Request};
use crate::ids::RoomId;
use crate::session::{SessionClient, SessionError};
use crate::store::{AccountState, StateStore};
use crate::sync::{ACCOUNT_DATA_TYPES, SyncError, apply_account_data};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The room and the account as of the sync made for a push.
#[derive(Debug)]
pub(super) struct Fresh {
    pub room: RoomInfo,
    /// The account state with the sync's changes and position.
    pub account: AccountState,
    /// The rules, and whether some of them did not parse (and were left out); `None` when the
    /// server sent none.
    pub rules: Option<Arc<Rules>>,
    /// The room's latest events since the position (the pushed one, usually).
    pub timeline: Vec<Value>,
    /// The events the user's read receipts (public or private) that came with the answer point
    /// at.
    pub read_up_to: Vec<String>,
}

impl Fresh {
    /// Whether the room was read at or after `event_id` since it was sent, as far as the answer
    /// tells: no unread notification left, or a read receipt of the user's on it or on a later
    /// event of the timeline.
    pub fn read_since(&self, event_id: &str) -> bool {
        let position = |id: &str| {
            self.timeline
                .iter()
                .position(|event| event.get("event_id").and_then(Value::as_str) == Some(id))
        };
        self.room.notification_count == Some(0)
            || position(event_id).is_some_and(|pushed| {
                self.read_up_to
                    .iter()
                    .any(|read| position(read).is_some_and(|read| read >= pushed))
            })
    }

    /// The event `event_id` if the sync brought it (with its `room_id`, which sync leaves out).
    pub fn event(&self, event_id: &str) -> Option<Value> {
        let event = self
            .timeline
            .iter()
            .find(|event| event.get("event_id").and_then(Value::as_str) == Some(event_id))?;
        let mut event = event.clone();
        event["room_id"] = json!(self.room.room_id);
        Some(event)
    }
}

/// Where a push's sync starts: the stored account state and, when both can be brought up to
/// date, the cached room.
#[derive(Debug, Default)]
pub(super) struct Base {
    pub account: AccountState,
    /// The cached room, joined and with a position, if the account state can take the changes
    /// since it too.
    pub room: Option<RoomInfo>,
    /// The push syncs by sliding sync (see `sliding`), from the room's connection position;
    /// else by `/sync`, from its `since`.
    pub sliding: bool,
    /// The account's rules, compiled once (see [`Base::stored_rules`]).
    stored_rules: std::sync::OnceLock<Option<Arc<Rules>>>,
}

impl Base {
    /// The stored account and `cached` room as the base for a sync from the room's position;
    /// without `incremental` (or a position) the room is left out and the sync starts from
    /// scratch.
    pub fn load(state: &StateStore, cached: Option<RoomInfo>, incremental: bool, sliding: bool) -> Base {
        let account = state.account().unwrap_or_default();
        let room = cached.filter(|room| {
            incremental
                && room.membership == "join"
                && match sliding {
                    true => room.connection_pos.is_some() && account.is_whole(),
                    false => room.since.is_some() && account.since.is_some(),
                }
        });
        Base {
            account,
            room,
            sliding,
            stored_rules: Default::default(),
        }
    }

    /// This base for a sync that started the room over (from scratch).
    pub fn without_room(self) -> Base {
        Base { room: None, ..self }
    }

    /// The stored account's rules, compiled on first use. A push asks while its sync is in
    /// flight, so that this is off the notification's path; the sync's answer only replaces
    /// them when the rules changed. A process compiles the same stored text once: the last
    /// rules compiled are kept by their text (a process handling push after push, an app's or a
    /// reused extension's, spends nothing on them until they change).
    pub fn stored_rules(&self) -> &Option<Arc<Rules>> {
        /// The text of the rules last compiled, and what it compiled to.
        type Compiled = (Box<str>, Option<Arc<Rules>>);
        static LAST_COMPILED: Mutex<Option<Compiled>> = Mutex::new(None);
        self.stored_rules.get_or_init(|| {
            let text = self.account.push_rules.as_ref()?.text();
            let last = || LAST_COMPILED.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((last_text, rules)) = &*last()
                && **last_text == *text
            {
                return rules.clone();
            }
            let rules = self
                .account
                .rules()
                .map(|(rules, dropped)| Arc::new(Rules::new(rules.global, !dropped.is_empty())));
            *last() = Some((text.into(), rules.clone()));
            rules
        })
    }

    /// The `/sync` position the sync starts from (`None`: from scratch).
    pub fn since(&self) -> Option<&str> {
        self.room.as_ref().and_then(|room| room.since.as_deref())
    }

    /// The sliding-sync connection position the sync starts from (`None`: from scratch).
    pub fn connection_pos(&self) -> Option<&str> {
        self.room.as_ref().and_then(|room| room.connection_pos.as_deref())
    }

    /// The position the room is stored with should another writer replace the account state
    /// first (see [`store`]).
    pub fn kept_position(&self) -> KeptPosition {
        match self.sliding {
            true => KeptPosition::Connection(self.connection_pos().map(str::to_owned)),
            false => KeptPosition::Since(self.account.since.clone()),
        }
    }
}

/// The position a room keeps when another writer replaced the account state first: the
/// sliding-sync position it was read with (the connection keeps the position it was asked from
/// as well as the new one), or for `/sync` the account's. A sync from there brings the changes
/// again.
#[derive(Debug)]
pub(super) enum KeptPosition {
    Connection(Option<String>),
    Since(Option<String>),
}

impl KeptPosition {
    fn label(self, room: &mut RoomInfo) {
        match self {
            KeptPosition::Connection(pos) => room.connection_pos = pos,
            KeptPosition::Since(since) => room.since = since,
        }
    }
}

/// Why the sync's answer cannot be used.
#[derive(Debug, thiserror::Error)]
pub(super) enum FreshError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("the sync answer is malformed: {0}")]
    Malformed(&'static str),
    #[error("the user is neither in nor invited to the room")]
    NotInRoom,
}

impl From<SyncError> for FreshError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Session(e) => FreshError::Session(e),
            _ => FreshError::Malformed("the account data"),
        }
    }
}

/// How many of the room's latest events a push's sync brings: enough that the pushed event is
/// among them when messages come in bursts, few enough to stay small.
pub const PUSH_TIMELINE_LIMIT: u64 = 10;

/// The `/sync` filter of a push: one room's state that pushes are judged with (members
/// lazy-loaded on a first sync, every member change after a gap), its latest timeline events (so
/// the room is in the answer whenever something happened in it, and the pushed event usually
/// with it), and the account data of [`ACCOUNT_DATA_TYPES`]; no presence, receipts or typing.
pub fn push_sync_filter(room_id: &str) -> Value {
    json!({
        "room": {
            "rooms": [room_id],
            "timeline": {"limit": PUSH_TIMELINE_LIMIT},
            // Members the server thinks this device has seen are sent anyway: another process
            // (the app or its extension) may have been the one that saw them.
            "state": {"types": PUSH_STATE, "lazy_load_members": true, "include_redundant_members": true},
            "ephemeral": {"types": []},
            "account_data": {"types": []}
        },
        "presence": {"types": []},
        "account_data": {"types": ACCOUNT_DATA_TYPES}
    })
}

/// A `/sync` URL (no waiting) for `filter` from `since` that the server will not answer from
/// its cache. Synapse keeps the answer of an identical sync request for two minutes
/// (`sync_response_cache_duration`), so a second push with the same position, or an invite
/// followed by a join, would see the first answer again. The filter excludes an event type that
/// does not exist, different each time: valid for any server, and it changes nothing else.
pub fn sync_url(session: &SessionClient, mut filter: Value, since: Option<&str>) -> url::Url {
    static REQUESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let nonce = format!(
        "io.matrixpush.nocache.{}.{}.{nanos}",
        std::process::id(),
        REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    if let Some(room) = filter.get_mut("room").and_then(Value::as_object_mut) {
        let timeline = room.entry("timeline").or_insert_with(|| json!({}));
        timeline["not_types"] = json!([nonce]);
    }
    let mut url = session.sync_url();
    url.query_pairs_mut()
        .append_pair("filter", &filter.to_string())
        .append_pair("timeout", "0");
    if let Some(since) = since {
        url.query_pairs_mut().append_pair("since", since);
    }
    url
}

/// The sync request of a push in `room_id` from `base`: by the room's uploaded filter when it has
/// one (and `by_id`), else with the filter inline.
///
/// By id, the request cannot be told apart by its filter: a `timeout` of a few milliseconds,
/// different from one request to the next, keeps the server's cache from answering it (a sync
/// with news since its position answers at once whatever the timeout; only one without news
/// waits it out).
pub(super) fn request(session: &SessionClient, room_id: &str, base: &Base, by_id: bool) -> Request {
    let filter_id = base.room.as_ref().and_then(|room| room.filter_id.as_deref());
    let url = match (filter_id, base.since()) {
        (Some(filter_id), Some(since)) if by_id => {
            let mut url = session.sync_url();
            url.query_pairs_mut()
                .append_pair("filter", filter_id)
                .append_pair("since", since)
                .append_pair("timeout", &cache_busting_timeout().to_string());
            url
        }
        _ => sync_url(session, push_sync_filter(room_id), base.since()),
    };
    Request::new(Method::Get, url).max_body(crate::http::SYNC_MAX_BODY)
}

/// 1 to 8 ms, varying between requests and processes.
fn cache_busting_timeout() -> u32 {
    static REQUESTS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    let n = nanos ^ REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    1 + (n % 8)
}

/// Uploads the push filter for `room_id`; its id.
pub(super) async fn upload_filter(session: &SessionClient, user_id: &str, room_id: &str) -> Option<String> {
    let url = session.url_of(&["user", user_id, "filter"]);
    let request = Request::new(Method::Post, url)
        .json(push_sync_filter(room_id))
        .max_body(4096);
    let answer = session.send_request(request).await.ok()?;
    answer.get("filter_id")?.as_str().map(str::to_owned)
}

/// Applies the sync's answer to `base`.
pub(super) fn apply(base: &Base, sync: &Value, id: &RoomId, user_id: &str) -> Result<Fresh, FreshError> {
    let room_id = id.as_str();
    if !sync.is_object() {
        return Err(FreshError::Malformed("the answer as an object"));
    }
    let next_batch = sync
        .get("next_batch")
        .and_then(Value::as_str)
        .ok_or(FreshError::Malformed("next_batch"))?;
    if let Some(rooms) = sync.get("rooms")
        && !rooms.is_object()
    {
        return Err(FreshError::Malformed("rooms as an object"));
    }
    let incremental = base.room.is_some();
    let mut account = match (incremental, base.sliding) {
        (true, _) => base.account.clone(),
        // From scratch, the answer has all account data: nothing old may linger. (A sliding
        // sync leaves the `/sync` position: the state is newer than it, which a base may be.)
        (false, false) => base.account.emptied(),
        (false, true) => AccountState {
            since: base.account.since.clone(),
            ..base.account.emptied()
        },
    };
    let new_rules = apply_account_data(&mut account, sync)?;
    account.whole = true;
    match base.sliding {
        false => account.since = Some(next_batch.to_owned()),
        true => {
            if let Some(to_device) = sync.pointer("/to_device/next_batch").and_then(Value::as_str) {
                account.to_device_since = Some(to_device.to_owned());
            }
        }
    }
    let rules = match new_rules {
        Some((new_rules, dropped_some)) => Some(Arc::new(Rules::new(new_rules.global, dropped_some))),
        // Unchanged: the stored ones, parsed while the sync was in flight.
        None if incremental => base.stored_rules().clone(),
        // From scratch, an answer without rules leaves none.
        None => None,
    };

    let joined = sync.pointer("/rooms/join").and_then(|rooms| rooms.get(room_id));
    let mut room = match (&base.room, joined) {
        (Some(cached), Some(joined)) => {
            let mut room = cached.clone();
            room.apply_sync(joined, user_id).map_err(FreshError::Malformed)?;
            room
        }
        // Nothing happened in the room since its position: its state is still current (state
        // changes are events, which would have put it in the answer).
        (Some(cached), None) if !listed(sync, "leave", room_id) && !listed(sync, "invite", room_id) => {
            cached.clone()
        }
        (Some(_), None) if !listed(sync, "invite", room_id) => return Err(FreshError::NotInRoom),
        // From scratch; or left and invited again: the invite as it is now.
        _ => {
            let mut room = RoomInfo::from_sync(sync, id, user_id).ok_or_else(|| match joined.is_some() {
                true => FreshError::Malformed("the joined room"),
                false => FreshError::NotInRoom,
            })?;
            // The room's whole push state came, `m.room.encryption` among it (an invite's
            // stripped state may leave it out).
            if room.membership == "join" {
                room.encrypted.get_or_insert(false);
            }
            room
        }
    };
    if room.membership != "join" && room.membership != "invite" {
        return Err(FreshError::NotInRoom);
    }
    match base.sliding {
        false => room.since = Some(next_batch.to_owned()),
        true => room.connection_pos = Some(next_batch.to_owned()),
    }
    let timeline = joined
        .and_then(|joined| joined.pointer("/timeline/events"))
        .and_then(Value::as_array)
        .map(|events| events.iter().filter(|event| event.is_object()).cloned().collect())
        .unwrap_or_default();
    let read_up_to = joined
        .and_then(|joined| joined.pointer("/ephemeral/events"))
        .map(|events| own_receipts(events, user_id))
        .unwrap_or_default();
    Ok(Fresh {
        room,
        account,
        rules,
        timeline,
        read_up_to,
    })
}

/// The events `user_id`'s read receipts (`m.read`, `m.read.private`) among the `m.receipt`
/// events of `ephemeral` point at.
fn own_receipts(ephemeral: &Value, user_id: &str) -> Vec<String> {
    let receipts = ephemeral
        .as_array()
        .into_iter()
        .flatten()
        .filter(|event| event.get("type").and_then(Value::as_str) == Some("m.receipt"))
        .filter_map(|event| event.get("content").and_then(Value::as_object))
        .flatten();
    receipts
        .filter(|(_, kinds)| {
            ["m.read", "m.read.private"]
                .iter()
                .any(|kind| kinds.get(*kind).and_then(|users| users.get(user_id)).is_some())
        })
        .map(|(event_id, _)| event_id.clone())
        .collect()
}

/// Whether the answer lists the room under `rooms.<section>` (`join`, `invite`, `leave`).
fn listed(sync: &Value, section: &str, room_id: &str) -> bool {
    sync.get("rooms")
        .and_then(|rooms| rooms.get(section))
        .and_then(|rooms| rooms.get(room_id))
        .is_some()
}

/// Stores what a push's sync brought — `account` and `room`, built on the account state of
/// generation `base_generation` — keeping positions moving forward (see the module docs): when
/// another writer replaced the account state first, the room is labelled with `kept` instead of
/// its new position. The room to cache, if any.
pub(super) async fn store(
    state: &StateStore,
    base_generation: u64,
    kept: KeptPosition,
    account: AccountState,
    mut room: RoomInfo,
) -> Option<RoomInfo> {
    let replaced = match state.replace_account(base_generation, account).await {
        Ok(replaced) => replaced,
        Err(e) => {
            tracing::warn!("the account state could not be stored: {e}");
            false
        }
    };
    if !replaced {
        kept.label(&mut room);
    }
    // An invite is fetched whole every time; a room without a position is kept for its
    // creators only.
    (room.membership == "join").then_some(room)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room_id() -> RoomId {
        RoomId::parse("!r:x").unwrap()
    }

    fn cached() -> Base {
        let mut room = RoomInfo {
            name: Some("Old name".into()),
            joined_members: 2,
            membership: "join".into(),
            since: Some("s1".into()),
            heroes: vec!["@a:x".into()],
            ..RoomInfo::new(room_id())
        };
        room.members.insert(
            "@a:x".into(),
            super::super::room::Member {
                display_name: Some("Alice".into()),
                avatar_url: None,
            },
        );
        Base {
            account: AccountState {
                since: Some("s1".into()),
                generation: 3,
                push_rules: Some(crate::store::RawJson::from_value(
                    &json!({"global": {"room": []}}),
                )),
                ignored_users: vec!["@spam:x".into()],
                ..AccountState::default()
            },
            room: Some(room),
            sliding: false,
            stored_rules: Default::default(),
        }
    }

    #[test]
    fn an_incremental_answer_updates_the_cached_room_and_account() {
        let sync = json!({
            "next_batch": "s2",
            "account_data": {"events": [{"type": "m.ignored_user_list", "content": {"ignored_users": {}}}]},
            "rooms": {"join": {"!r:x": {
                "summary": {"m.joined_member_count": 3},
                "state": {"events": [
                    {"type": "m.room.member", "state_key": "@a:x", "content": {"membership": "join", "displayname": "Alice B"}},
                    {"type": "m.room.member", "state_key": "@c:x", "content": {"membership": "join", "displayname": "Carol"}}
                ]},
                "timeline": {"events": [{"type": "m.room.name", "state_key": "", "content": {"name": "New name"}}]},
                "unread_notifications": {"notification_count": 4}
            }}}
        });
        let fresh = apply(&cached(), &sync, &room_id(), "@me:x").unwrap();
        assert_eq!(
            fresh.room.name.as_deref(),
            Some("New name"),
            "timeline state comes last"
        );
        assert_eq!(fresh.room.joined_members, 3);
        assert_eq!(fresh.room.member_name("@a:x"), "Alice B");
        assert_eq!(fresh.room.since.as_deref(), Some("s2"));
        assert_eq!(fresh.room.notification_count, Some(4));
        assert!(fresh.account.ignored_users.is_empty(), "un-ignored");
        assert_eq!(fresh.account.since.as_deref(), Some("s2"));
        assert!(fresh.rules.is_some(), "unchanged rules are kept");
    }

    #[test]
    fn a_sliding_answer_moves_the_connection_position_and_leaves_the_sync_position() {
        let mut base = cached();
        base.sliding = true;
        base.room.as_mut().unwrap().connection_pos = Some("1/s1".into());
        let sync = json!({
            "next_batch": "2/s5",
            "to_device": {"events": [], "next_batch": "td7"},
            "rooms": {"join": {"!r:x": {"timeline": {"events": [{"type": "m.room.name", "state_key": "", "content": {"name": "N"}}]}}}}
        });
        let fresh = apply(&base, &sync, &room_id(), "@me:x").unwrap();
        assert_eq!(fresh.room.connection_pos.as_deref(), Some("2/s5"));
        assert_eq!(
            fresh.room.since.as_deref(),
            Some("s1"),
            "the /sync position is untouched"
        );
        assert_eq!(fresh.account.since.as_deref(), Some("s1"));
        assert_eq!(fresh.account.to_device_since.as_deref(), Some("td7"));
        assert!(fresh.account.whole);
        assert_eq!(fresh.account.ignored_users, vec!["@spam:x"], "no change: kept");

        // From scratch the account data is replaced whole; the /sync position stays a valid base.
        base.room = None;
        let sync = json!({"next_batch": "1/s6", "rooms": {"join": {"!r:x": {"summary": {"m.joined_member_count": 2}}}}});
        let fresh = apply(&base, &sync, &room_id(), "@me:x").unwrap();
        assert!(fresh.account.ignored_users.is_empty() && fresh.account.whole);
        assert_eq!(fresh.account.since.as_deref(), Some("s1"));
        assert_eq!(fresh.room.connection_pos.as_deref(), Some("1/s6"));
    }

    #[test]
    fn the_stored_rules_parsed_ahead_stand_until_the_answer_brings_new_ones() {
        let base = cached();
        let ahead = base.stored_rules().clone();
        assert!(ahead.is_some());
        let unchanged = apply(&base, &json!({"next_batch": "s2"}), &room_id(), "@me:x").unwrap();
        assert!(Arc::ptr_eq(
            unchanged.rules.as_ref().unwrap(),
            ahead.as_ref().unwrap()
        ));
        let keyword = json!({"rule_id": "lunch", "pattern": "lunch", "default": false, "enabled": true, "actions": ["notify"]});
        let sync = json!({"next_batch": "s2", "account_data": {"events": [
            {"type": "m.push_rules", "content": {"global": {"content": [keyword]}}}]}});
        let changed = apply(&base, &sync, &room_id(), "@me:x").unwrap();
        let rules = changed.rules.unwrap();
        assert!(!rules.dropped_some);
        assert_eq!(
            rules.compiled.ruleset().content.len(),
            1,
            "the answer's rules, not the ones parsed ahead"
        );
    }

    #[test]
    fn stored_rules_compiled_before_stand_only_for_the_same_text() {
        let with_keyword = |keyword: &str| {
            let mut base = cached();
            let rule = json!({"rule_id": keyword, "pattern": keyword, "default": false, "enabled": true, "actions": ["notify"]});
            base.account.push_rules = Some(crate::store::RawJson::from_value(
                &json!({"global": {"content": [rule]}}),
            ));
            base
        };
        let keyword = |base: &Base| {
            let rules = base.stored_rules().clone().unwrap();
            rules.compiled.ruleset().content[0].rule_id.clone()
        };
        for _ in 0..2 {
            assert_eq!(keyword(&with_keyword("lunch")), "lunch");
            assert_eq!(
                keyword(&with_keyword("dinner")),
                "dinner",
                "changed text, new rules"
            );
        }
        let mut none = cached();
        none.account.push_rules = None;
        assert!(none.stored_rules().is_none());
    }

    #[test]
    fn whether_the_room_is_encrypted_is_known_from_its_whole_state_or_the_change() {
        let encryption = json!({"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}});
        let from_scratch = |state: Vec<Value>| {
            let sync = json!({"next_batch": "s2", "rooms": {"join": {"!r:x": {"state": {"events": state}}}}});
            apply(&Base::default(), &sync, &room_id(), "@me:x")
                .unwrap()
                .room
                .encrypted
        };
        assert_eq!(
            from_scratch(vec![]),
            Some(false),
            "the whole push state, without it"
        );
        assert_eq!(from_scratch(vec![encryption.clone()]), Some(true));
        // Incremental: unknown stays unknown until the change comes.
        let sync = |events: Vec<Value>| json!({"next_batch": "s2", "rooms": {"join": {"!r:x": {"timeline": {"events": events}}}}});
        let base = cached();
        assert_eq!(
            apply(&base, &sync(vec![]), &room_id(), "@me:x")
                .unwrap()
                .room
                .encrypted,
            None
        );
        let turned = apply(&base, &sync(vec![encryption]), &room_id(), "@me:x").unwrap();
        assert_eq!(turned.room.encrypted, Some(true));
    }

    #[tokio::test]
    async fn a_room_whose_account_write_lost_keeps_the_position_it_was_read_with() {
        let dir = std::env::temp_dir().join(format!("matrix-push-fresh-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let state = StateStore::open(&dir).unwrap();
        let mut base = cached();
        base.room.as_mut().unwrap().connection_pos = Some("1/s1".into());
        let read = base.room.clone().unwrap();
        let mut room = read.clone();
        room.connection_pos = Some("2/s2".into());
        room.since = Some("s2".into());
        // Nothing stored: generation 0, which the base (3) is not — another writer came first.
        base.sliding = true;
        let stored = store(
            &state,
            base.account.generation,
            base.kept_position(),
            base.account.clone(),
            room.clone(),
        )
        .await;
        let stored = stored.unwrap();
        assert_eq!(stored.connection_pos.as_deref(), Some("1/s1"));
        base.sliding = false;
        let stored = store(
            &state,
            base.account.generation,
            base.kept_position(),
            base.account.clone(),
            room,
        )
        .await;
        assert_eq!(
            stored.unwrap().since.as_deref(),
            Some("s1"),
            "the account's position"
        );
        // The generation read: written, and the room keeps its new position.
        base.sliding = true;
        let mut room = read.clone();
        room.connection_pos = Some("3/s3".into());
        let stored = store(&state, 0, base.kept_position(), base.account.clone(), room).await;
        assert_eq!(stored.unwrap().connection_pos.as_deref(), Some("3/s3"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_receipt_at_or_after_the_pushed_event_reads_as_read_elsewhere() {
        let message =
            |id: &str| json!({"type": "m.room.message", "event_id": id, "sender": "@a:x", "content": {}});
        let receipt = |id: &str, kind: &str, user: &str| json!({"type": "m.receipt", "content": {id: {kind: {user: {"ts": 1}}}}});
        let read = |receipts: Vec<Value>| {
            let mut base = cached();
            base.sliding = true;
            base.room.as_mut().unwrap().connection_pos = Some("1/s1".into());
            let sync = json!({"next_batch": "2/s2", "rooms": {"join": {"!r:x": {
                "timeline": {"events": [message("$1"), message("$2"), message("$3")]},
                "ephemeral": {"events": receipts}}}}});
            apply(&base, &sync, &room_id(), "@me:x").unwrap().read_since("$2")
        };
        assert!(read(vec![receipt("$2", "m.read", "@me:x")]));
        assert!(read(vec![receipt("$3", "m.read.private", "@me:x")]));
        assert!(!read(vec![receipt("$1", "m.read", "@me:x")]), "read before it");
        assert!(!read(vec![receipt("$3", "m.read", "@a:x")]), "someone else's");
        assert!(
            !read(vec![receipt("$0", "m.read", "@me:x")]),
            "an event not in the timeline"
        );
        assert!(!read(vec![]));
    }

    #[test]
    fn a_room_absent_from_the_answer_is_unchanged_and_a_left_room_is_an_error() {
        let fresh = apply(&cached(), &json!({"next_batch": "s2"}), &room_id(), "@me:x").unwrap();
        assert_eq!(fresh.room.name.as_deref(), Some("Old name"));
        assert_eq!(
            fresh.room.notification_count, None,
            "no count: nothing to dismiss"
        );
        let left = json!({"next_batch": "s2", "rooms": {"leave": {"!r:x": {}}}});
        assert!(matches!(
            apply(&cached(), &left, &room_id(), "@me:x"),
            Err(FreshError::NotInRoom)
        ));
        let invited_again = json!({"next_batch": "s3", "rooms": {"leave": {"!r:x": {}}, "invite": {"!r:x": {
            "invite_state": {"events": [{"type": "m.room.member", "state_key": "@me:x", "sender": "@a:x",
                                         "content": {"membership": "invite"}}]}}}}});
        let fresh = apply(&cached(), &invited_again, &room_id(), "@me:x").unwrap();
        assert_eq!(
            (fresh.room.membership.as_str(), fresh.room.inviter.as_deref()),
            ("invite", Some("@a:x"))
        );
    }

    #[test]
    fn answers_of_the_wrong_shape_are_errors_not_guesses() {
        for sync in [
            json!([]),
            json!({}),
            json!({"next_batch": 5}),
            json!({"next_batch": "s2", "rooms": []}),
            json!({"next_batch": "s2", "rooms": {"join": {"!r:x": "x"}}}),
            json!({"next_batch": "s2", "rooms": {"join": {"!r:x": {"state": {"events": {}}}}}}),
            json!({"next_batch": "s2", "rooms": {"join": {"!r:x": {"summary": {"m.joined_member_count": "3"}}}}}),
            json!({"next_batch": "s2", "account_data": {"events": "x"}}),
            json!({"next_batch": "s2", "account_data": {"events": [{"type": "m.push_rules", "content": []}]}}),
            json!({"next_batch": "s2", "account_data": {"events": [{"type": "m.ignored_user_list", "content": {"ignored_users": []}}]}}),
        ] {
            assert!(apply(&cached(), &sync, &room_id(), "@me:x").is_err(), "{sync}");
        }
    }

    #[test]
    fn from_scratch_the_account_data_is_replaced_whole() {
        let mut base = cached();
        base.room = None;
        let sync = json!({
            "next_batch": "s9",
            "rooms": {"join": {"!r:x": {"summary": {"m.joined_member_count": 2, "m.heroes": ["@a:x"]}}}}
        });
        let fresh = apply(&base, &sync, &room_id(), "@me:x").unwrap();
        assert!(
            fresh.rules.is_none(),
            "the server sent no rules: unknown, not the old ones"
        );
        assert!(fresh.account.ignored_users.is_empty());
        assert_eq!(fresh.account.generation, 3, "built on the stored generation");
    }
}
