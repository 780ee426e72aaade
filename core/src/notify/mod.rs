//! Turning a push into what the phone shows: `handle(payload, deadline) -> Outcome`.
//!
//! The critical path is one round of parallel requests:
//! - warm (the room is in the store): `GET /rooms/{id}/event/{id}` only, plus the sender's member
//!   event in the same round when the sender was never seen in that room;
//! - cold: the event, a `/sync` filtered to that one room (name, alias, heroes, member counts,
//!   power levels, the members the server includes, unread counts; or the invite's stripped
//!   state), the `m.room.create` event (creators for room v12), and the push rules when none are
//!   stored — all at once; then, only if the sender is still unknown, their member event.
//!
//! So: 1 sequential round trip warm, at most 2 cold. The rules are evaluated here, on the phone,
//! with the synced rules (providers do not carry tweaks; the rules may also have changed since the
//! server decided). Nothing is lost: when data cannot be had in time the outcome is a generic
//! [`Outcome::Fallback`] built from what the payload itself carries.
//!
//! [`joined_rooms`] reads every joined room's name, DM flag and member count the same way (one
//! filtered `/sync`), for a settings screen's room list.

mod render;
mod room;

pub use render::{NotificationKind, describe, html_to_text, strip_reply_fallback};
pub use room::{Member, RoomInfo, RoomSummary, room_filter, room_list_filter};

use crate::http::{HttpError, Method, Request};
use crate::payload::PushPayload;
use crate::rules::{CompiledRuleset, PowerLevels, PushContext, server_default_rules};
use crate::session::{SessionClient, SessionError};
use crate::store::StateStore;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A notification ready to show.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub event_id: String,
    pub room_id: String,
    /// The room's display name (spec algorithm).
    pub room_name: String,
    pub is_dm: bool,
    pub sender_id: String,
    /// Disambiguated when another member has the same display name.
    pub sender_name: String,
    /// `mxc://` URL of the sender's avatar in the room.
    pub sender_avatar_url: Option<String>,
    pub kind: NotificationKind,
    pub body: String,
    /// The thread root, for a message in a thread.
    pub thread_id: Option<String>,
    /// Play a sound: `sound` names it (`default`, `ring`, …).
    pub is_noisy: bool,
    pub sound: Option<String>,
    pub highlight: bool,
    /// When the event was sent (ms since the Unix epoch); for an invite, whose stripped state
    /// carries no time, when the push was handled.
    pub timestamp_ms: u64,
    /// The badge count the server sent with the push.
    pub unread: Option<u64>,
    /// The rule that decided.
    pub rule_id: Option<String>,
}

/// A notification made only from the payload, when the rest could not be fetched in time.
#[derive(Clone, Debug, PartialEq)]
pub struct FallbackNotification {
    pub event_id: Option<String>,
    pub room_id: Option<String>,
    /// The room or sender name when the payload carried one.
    pub title: Option<String>,
    pub body: String,
    pub unread: Option<u64>,
    /// Why the full notification could not be made.
    pub reason: String,
}

/// Why a push shows nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuppressReason {
    /// The user's rules (as synced now) do not notify for this event.
    Rules {
        rule_id: Option<String>,
    },
    OwnEvent,
    Edit,
    Redacted,
}

/// What to do with a push.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Show(Notification),
    Suppressed(SuppressReason),
    /// A badge-only push: set the badge; `read_rooms` are rooms notified before that are now
    /// read (their notifications can go).
    BadgeUpdate {
        unread: u64,
        read_rooms: Vec<String>,
    },
    /// The event's room is already read elsewhere: remove its notifications.
    Dismiss {
        room_ids: Vec<String>,
    },
    Fallback(FallbackNotification),
    /// This event was handled before (by this process or another sharing the store).
    Duplicate,
}

/// Decrypts encrypted events for the notification (the app's crypto, e.g. matrix-sdk-crypto).
pub trait EventDecryptor: Send + Sync {
    /// The decrypted event (`type` and `content` of the cleartext, other fields as the original),
    /// or `None` when it cannot be decrypted.
    fn decrypt(&self, room_id: &str, event: &Value) -> Option<Value>;
}

const ROOMS: &str = "rooms.json";
const HANDLED: &str = "handled_events.json";
const NOTIFIED_ROOMS: &str = "notified_rooms.json";
/// Rooms kept in the cache, and event ids remembered for de-duplication.
const MAX_ROOMS: usize = 200;
const MAX_HANDLED: usize = 500;
const LOCK_TIMEOUT: Duration = Duration::from_secs(2);

/// Resolves pushes for one signed-in account.
pub struct Notifier<'a> {
    session: &'a SessionClient,
    state: &'a StateStore,
    decryptor: Option<Arc<dyn EventDecryptor>>,
}

/// Why resolving stopped short (the caller turns it into a fallback).
#[derive(Debug, thiserror::Error)]
enum ResolveError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("{0}")]
    Missing(&'static str),
}

impl<'a> Notifier<'a> {
    pub fn new(
        session: &'a SessionClient,
        state: &'a StateStore,
        decryptor: Option<Arc<dyn EventDecryptor>>,
    ) -> Self {
        Notifier {
            session,
            state,
            decryptor,
        }
    }

    /// Resolves a push within `deadline`. Never fails: what cannot be resolved in time becomes a
    /// [`Outcome::Fallback`].
    pub async fn handle(&self, payload: &PushPayload, deadline: Duration) -> Outcome {
        if payload.badge_only || payload.event_id.is_none() {
            let unread = payload.unread.unwrap_or(0);
            let read_rooms = tokio::time::timeout(deadline, self.read_rooms())
                .await
                .unwrap_or_default();
            return Outcome::BadgeUpdate { unread, read_rooms };
        }
        let event_id = payload.event_id.clone().unwrap_or_default();
        // Resolution starts first; the duplicate check reads and writes the store meanwhile.
        let resolution = tokio::time::timeout(deadline, self.resolve(payload));
        let (resolved, first_time) = tokio::join!(resolution, self.first_time(&event_id));
        if !first_time {
            return Outcome::Duplicate;
        }
        let outcome = match resolved {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(error)) => Outcome::Fallback(fallback(payload, error.to_string())),
            Err(_) => Outcome::Fallback(fallback(payload, format!("not resolved within {deadline:?}"))),
        };
        if let Outcome::Show(notification) = &outcome {
            self.remember_notified_room(&notification.room_id).await;
        }
        outcome
    }

    async fn resolve(&self, payload: &PushPayload) -> Result<Outcome, ResolveError> {
        let room_id = payload
            .room_id
            .clone()
            .ok_or(ResolveError::Missing("the push has no room id"))?;
        let event_id = payload
            .event_id
            .clone()
            .ok_or(ResolveError::Missing("the push has no event id"))?;
        let user_id = self.session.user_id()?;

        // Round trip 1: the event, and whatever the store lacks, in parallel. The event request
        // goes first so that reading the store overlaps with it.
        let event_url = self.session.url_of(&["rooms", &room_id, "event", &event_id]);
        let event_request = self.session.send_request(Request::new(Method::Get, event_url));
        let room_request = async {
            match self.cached_room(&room_id) {
                Some(room) if room.membership == "join" => Ok(room),
                _ => self
                    .fetch_room(&room_id, &user_id)
                    .await?
                    .ok_or(ResolveError::Missing(
                        "the user is neither in nor invited to the room",
                    )),
            }
        };
        let rules_request = async {
            match self.state.push_rules() {
                Some(rules) => Some(rules),
                None => crate::sync::fetch_push_rules(self.session, self.state).await.ok(),
            }
        };
        let (event, room, rules) = tokio::join!(event_request, room_request, rules_request);
        let mut room = room?;
        // The push must not wait on rules: without any, the spec defaults stand in.
        let rules = rules.map_or_else(|| server_default_rules(&user_id), |rules| rules.global);

        let event = match event {
            Ok(event) => event,
            Err(SessionError::Http(HttpError::Matrix(e)))
                if matches!(e.errcode.as_str(), "M_NOT_FOUND" | "M_FORBIDDEN") =>
            {
                // An invite's event cannot be fetched before joining: the stripped state says it all.
                if room.membership == "invite" {
                    return Ok(self.invite(payload, &room, &room_id, &event_id, &user_id, &rules));
                }
                return Err(SessionError::Http(HttpError::Matrix(e)).into());
            }
            Err(e) => return Err(e.into()),
        };

        // Round trip 2, only when the sender was never seen in this room.
        let sender = event
            .get("sender")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !sender.is_empty() && !room.members.contains_key(&sender) {
            let url = self
                .session
                .url_of(&["rooms", &room_id, "state", "m.room.member", &sender]);
            if let Ok(content) = self.session.send_request(Request::new(Method::Get, url)).await {
                let member =
                    serde_json::json!({"type": "m.room.member", "state_key": sender, "content": content});
                room.apply_state(&member, &user_id);
            }
        }
        self.store_room(&room).await;
        let outcome = self.decide(payload, &room, event, &user_id, rules);
        // It would show, but freshly synced counts say the room was read elsewhere since. (An
        // event the rules keep silent stays `Suppressed`: that says why.)
        if matches!(outcome, Outcome::Show(_)) && room.notification_count == Some(0) {
            return Ok(Outcome::Dismiss {
                room_ids: vec![room_id],
            });
        }
        Ok(outcome)
    }

    /// Evaluates the rules on the (decrypted) event and builds the notification.
    fn decide(
        &self,
        payload: &PushPayload,
        room: &RoomInfo,
        event: Value,
        user_id: &str,
        rules: crate::rules::Ruleset,
    ) -> Outcome {
        let sender = event
            .get("sender")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if sender == user_id {
            return Outcome::Suppressed(SuppressReason::OwnEvent);
        }
        if event.pointer("/unsigned/redacted_because").is_some() {
            return Outcome::Suppressed(SuppressReason::Redacted);
        }
        let event = match (&self.decryptor, event.get("type").and_then(Value::as_str)) {
            (Some(decryptor), Some("m.room.encrypted")) => {
                decryptor.decrypt(&room.room_id, &event).unwrap_or(event)
            }
            _ => event,
        };
        if event
            .pointer("/content/m.relates_to/rel_type")
            .and_then(Value::as_str)
            == Some("m.replace")
        {
            return Outcome::Suppressed(SuppressReason::Edit);
        }
        let evaluation = CompiledRuleset::new(rules).evaluate(&event, &context(room, user_id));
        if !evaluation.notify() {
            return Outcome::Suppressed(SuppressReason::Rules {
                rule_id: evaluation.rule_id,
            });
        }
        let sender_name = room.member_name(&sender);
        let (kind, body) = describe(&event, &sender_name);
        let thread_id = match event
            .pointer("/content/m.relates_to/rel_type")
            .and_then(Value::as_str)
        {
            Some("m.thread") => event
                .pointer("/content/m.relates_to/event_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        };
        let sound = evaluation.sound().map(str::to_owned);
        Outcome::Show(Notification {
            event_id: event
                .get("event_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            room_id: room.room_id.clone(),
            room_name: room.display_name(user_id),
            is_dm: room.is_dm(),
            sender_avatar_url: room.members.get(&sender).and_then(|m| m.avatar_url.clone()),
            sender_id: sender,
            sender_name,
            kind,
            body,
            thread_id,
            is_noisy: sound.is_some(),
            sound,
            highlight: evaluation.highlight(),
            timestamp_ms: event
                .get("origin_server_ts")
                .and_then(Value::as_u64)
                .unwrap_or_default(),
            unread: payload.unread,
            rule_id: evaluation.rule_id,
        })
    }

    /// An invite, from its stripped state, judged by the rules on the synthesized member event.
    fn invite(
        &self,
        payload: &PushPayload,
        room: &RoomInfo,
        room_id: &str,
        event_id: &str,
        user_id: &str,
        rules: &crate::rules::Ruleset,
    ) -> Outcome {
        let inviter = room
            .inviter
            .clone()
            .or_else(|| payload.sender.clone())
            .unwrap_or_default();
        let member_event = serde_json::json!({
            "type": "m.room.member", "state_key": user_id, "sender": inviter, "room_id": room_id,
            "event_id": event_id, "content": {"membership": "invite"}
        });
        let evaluation = CompiledRuleset::new(rules.clone()).evaluate(&member_event, &context(room, user_id));
        if !evaluation.notify() {
            return Outcome::Suppressed(SuppressReason::Rules {
                rule_id: evaluation.rule_id,
            });
        }
        let inviter_name = room.member_name(&inviter);
        let room_name = room.display_name(user_id);
        let body = if room.is_dm() {
            format!("{inviter_name} wants to chat")
        } else {
            format!("{inviter_name} invited you to {room_name}")
        };
        let sound = evaluation.sound().map(str::to_owned);
        Outcome::Show(Notification {
            event_id: event_id.to_owned(),
            room_id: room_id.to_owned(),
            room_name,
            is_dm: room.is_dm(),
            sender_avatar_url: room.members.get(&inviter).and_then(|m| m.avatar_url.clone()),
            sender_id: inviter.clone(),
            sender_name: inviter_name,
            kind: NotificationKind::Invite { inviter },
            body,
            thread_id: None,
            is_noisy: sound.is_some(),
            sound,
            highlight: evaluation.highlight(),
            timestamp_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |now| now.as_millis() as u64),
            unread: payload.unread,
            rule_id: evaluation.rule_id,
        })
    }

    /// The room's metadata, joined or invited, in one parallel round: the filtered sync and the
    /// create event.
    async fn fetch_room(&self, room_id: &str, user_id: &str) -> Result<Option<RoomInfo>, SessionError> {
        let url = fresh_sync_url(self.session, room_filter(room_id));
        let sync = self.session.send_request(Request::new(Method::Get, url));
        let create_url = self
            .session
            .url_of(&["rooms", room_id, "state", "m.room.create", ""]);
        let mut create_url = create_url;
        create_url.query_pairs_mut().append_pair("format", "event");
        let create = self.session.send_request(Request::new(Method::Get, create_url));
        let (sync, create) = tokio::join!(sync, create);
        let Some(mut room) = RoomInfo::from_sync(&sync?, room_id, user_id) else {
            return Ok(None);
        };
        if let Ok(create) = create {
            room.apply_create(&create);
        }
        Ok(Some(room))
    }

    /// Rooms notified before whose unread count is now 0 (for badge-only pushes).
    async fn read_rooms(&self) -> Vec<String> {
        let notified: Vec<String> = self.state.read(NOTIFIED_ROOMS).unwrap_or_default();
        if notified.is_empty() {
            return Vec::new();
        }
        let filter = serde_json::json!({
            "room": {"rooms": notified, "timeline": {"limit": 0}, "state": {"types": []},
                     "ephemeral": {"types": []}, "account_data": {"types": []}},
            "presence": {"types": []}, "account_data": {"types": []}
        });
        let url = fresh_sync_url(self.session, filter);
        let Ok(sync) = self.session.send_request(Request::new(Method::Get, url)).await else {
            return Vec::new();
        };
        let joined = sync
            .pointer("/rooms/join")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let read: Vec<String> = notified
            .iter()
            .filter(|room| {
                joined
                    .get(room.as_str())
                    .and_then(|r| r.pointer("/unread_notifications/notification_count"))
                    .and_then(Value::as_u64)
                    .is_none_or(|count| count == 0)
            })
            .cloned()
            .collect();
        let still_unread: Vec<&String> = notified.iter().filter(|room| !read.contains(room)).collect();
        if let Ok(_lock) = self.state.lock("notify", LOCK_TIMEOUT).await {
            let _ = self.state.write_cache(NOTIFIED_ROOMS, &still_unread);
        }
        read
    }

    async fn remember_notified_room(&self, room_id: &str) {
        let Ok(_lock) = self.state.lock("notify", LOCK_TIMEOUT).await else {
            return;
        };
        let mut rooms: Vec<String> = self.state.read(NOTIFIED_ROOMS).unwrap_or_default();
        if !rooms.iter().any(|r| r == room_id) {
            rooms.push(room_id.to_owned());
            let _ = self.state.write_cache(NOTIFIED_ROOMS, &rooms);
        }
    }

    /// Records the event id; `false` when it was recorded before (a duplicate push).
    async fn first_time(&self, event_id: &str) -> bool {
        let Ok(_lock) = self.state.lock("notify", LOCK_TIMEOUT).await else {
            return true; // Better a rare double notification than a lost one.
        };
        let mut handled: Vec<String> = self.state.read(HANDLED).unwrap_or_default();
        if handled.iter().any(|id| id == event_id) {
            return false;
        }
        handled.push(event_id.to_owned());
        let excess = handled.len().saturating_sub(MAX_HANDLED);
        handled.drain(..excess);
        let _ = self.state.write_cache(HANDLED, &handled);
        true
    }

    fn cached_room(&self, room_id: &str) -> Option<RoomInfo> {
        let mut rooms: BTreeMap<String, RoomInfo> = self.state.read(ROOMS)?;
        rooms.remove(room_id)
    }

    async fn store_room(&self, room: &RoomInfo) {
        let Ok(_lock) = self.state.lock("rooms", LOCK_TIMEOUT).await else {
            return;
        };
        let mut rooms: BTreeMap<String, RoomInfo> = self.state.read(ROOMS).unwrap_or_default();
        if rooms.get(&room.room_id) == Some(room) {
            return;
        }
        if rooms.len() >= MAX_ROOMS && !rooms.contains_key(&room.room_id) {
            let oldest = rooms.keys().next().cloned();
            if let Some(oldest) = oldest {
                rooms.remove(&oldest);
            }
        }
        rooms.insert(room.room_id.clone(), room.clone());
        let _ = self.state.write_cache(ROOMS, &rooms);
    }
}

/// Every room the user has joined, with what its display name needs, from one `/sync` filtered
/// with [`room_list_filter`]. Invites are left out. The rooms are not put in the push path's
/// room cache: they lack the power levels and creators a push is judged with.
pub async fn joined_rooms(session: &SessionClient) -> Result<Vec<RoomInfo>, SessionError> {
    let user_id = session.user_id()?;
    let url = fresh_sync_url(session, room_list_filter());
    let sync = session.send_request(Request::new(Method::Get, url)).await?;
    Ok(RoomInfo::joined_from_sync(&sync, &user_id))
}

/// A `/sync` URL (no `since`, no waiting) for `filter` that the server will not answer from its
/// cache. Synapse keeps the answer of an identical sync request for two minutes
/// (`sync_response_cache_duration`), so an invite followed by a join, or two badge updates, would
/// otherwise see the first answer again. The filter excludes an event type that does not exist,
/// different each time: valid for any server, and it changes nothing else.
fn fresh_sync_url(session: &SessionClient, mut filter: Value) -> url::Url {
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
        let timeline = room.entry("timeline").or_insert_with(|| serde_json::json!({}));
        timeline["not_types"] = serde_json::json!([nonce]);
    }
    let mut url = session.url("sync");
    url.query_pairs_mut()
        .append_pair("filter", &filter.to_string())
        .append_pair("timeout", "0");
    url
}

/// The evaluation context for the user in a room.
fn context(room: &RoomInfo, user_id: &str) -> PushContext {
    let mut cx = PushContext::new(user_id);
    cx.room_id = Some(room.room_id.clone());
    cx.display_name = room.members.get(user_id).and_then(|m| m.display_name.clone());
    cx.member_count = Some(room.joined_members);
    cx.power_levels = room.power_levels.as_ref().map(PowerLevels::from_content);
    cx.creators = room.creators.clone();
    cx.room_version = room.room_version.clone();
    cx
}

/// A generic notification from the payload alone.
pub fn fallback(payload: &PushPayload, reason: String) -> FallbackNotification {
    let encrypted = payload.event_type.as_deref() == Some("m.room.encrypted");
    let body = match (&payload.body, encrypted) {
        (Some(body), false) => strip_reply_fallback(body),
        (_, true) => "Encrypted message".to_owned(),
        (None, false) => "New message".to_owned(),
    };
    FallbackNotification {
        event_id: payload.event_id.clone(),
        room_id: payload.room_id.clone(),
        title: payload
            .room_name
            .clone()
            .or_else(|| payload.sender_display_name.clone()),
        body,
        unread: payload.unread,
        reason,
    }
}
