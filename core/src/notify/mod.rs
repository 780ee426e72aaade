//! Turning a push into what the phone shows: `handle(payload, deadline) -> Outcome`.
//!
//! **Decided on the truth.** Every decision uses the room's state and the account's rules and
//! ignored users as current as of the push (`fresh.rs`): the store is a base that one sync
//! brings up to date, never the answer. The critical path is one round of parallel requests:
//! - a sync limited to the room and to the rules' account data — simplified sliding sync on the
//!   room's own connection where the server serves it (`sliding.rs`), else a filtered `/sync` —
//!   from the cached room's position (warm), or from scratch (cold). Its timeline — the room's
//!   latest events since the position — usually holds the pushed event, and its state the
//!   sender's member event;
//! - by `/sync`, cold only: the `m.room.create` event (creators and room version, for room v12;
//!   it never changes, so it is cached for good; a sliding sync brings it), and the upload of
//!   the room's sync filter (named by id from then on);
//! - when the payload names a sender the cache does not know: their member event.
//!
//! Then, only when the pushed event is not among the events the sync brought (an older event,
//! a burst longer than the timeline), `/context` fetches it with its sender's member event. So a
//! push usually takes 1 request (3 for a first push by `/sync`), and at most 2 sequential round
//! trips (3 when the server dropped the room's sliding-sync position, turns sliding sync down
//! for the first time, or a small room's member events overflow the answer's cap: each once).
//!
//! **The server's decision is evidence.** A push that names an event was sent because the
//! homeserver's rules said "notify" for it (Synapse pushes nothing else). The phone refines that
//! — sound, highlight, text — and turns it into silence only on knowledge at least as new as the
//! event (rules synced for this push: a rule changed after the event may silence it), or for its
//! own explicit reasons (the user's own event, an edit, a redacted event, an ignored sender).
//! When the phone's rules would keep it silent but cannot be trusted to — the server sent no
//! rules, some did not parse, or a rule the engine cannot evaluate ranks above the one that
//! decided (an unknown condition such as MSC4306's `thread_subscription`, an unknown kind) — it
//! shows the notification as the server decided and logs the disagreement.
//! [`Outcome::Suppressed`] says whether the server had notified.
//!
//! **Bounded.** The deadline covers the whole of `handle`, body reads included; every body is
//! read with a cap that fits its endpoint. Nothing is lost: what cannot be resolved in time, or
//! from answers of the wrong shape, becomes a generic [`Outcome::Fallback`] built from what the
//! payload itself carries.
//!
//! [`joined_rooms`] reads every joined room's name, DM flag and member count the same way (one
//! filtered `/sync`), for a settings screen's room list.

mod decide;
mod fresh;
mod render;
mod room;
mod sliding;

pub use fresh::{PUSH_TIMELINE_LIMIT, push_sync_filter, sync_url};
pub use render::{NotificationKind, describe, html_to_text, strip_reply_fallback};
pub use room::{Member, PUSH_STATE, RoomInfo, RoomSummary, room_filter, room_list_filter};
pub use sliding::{ALL_MEMBERS_UP_TO, DeviceSync, Members, request as sliding_sync_request};

use crate::decryption::UndecryptableReason;
use crate::http::{EVENT_MAX_BODY, HttpError, Method, Request, SYNC_MAX_BODY};
use crate::ids::{EventId, IdError, RoomId, UserId};
use crate::payload::PushPayload;
use crate::session::{SessionClient, SessionError};
use crate::store::{NOTIFIED_ROOMS, StateStore};
use decide::{Judgement, event_sender};
use fresh::{Base, Fresh, FreshError, KeptPosition};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A notification ready to show. (The bindings call it `PushNotification`, clear of
/// Foundation's `Notification`.)
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "PushNotification"))]
pub struct Notification {
    /// The pushed event's id; the notification's identity (a later push for it is a duplicate).
    pub event_id: EventId,
    /// The room the event was sent in; group notifications by it.
    pub room_id: RoomId,
    /// The room's display name (spec algorithm).
    pub room_name: String,
    /// Whether the room is a direct chat: marked as one when the user was invited, or a room of
    /// at most two members with neither a name nor an alias.
    pub is_dm: bool,
    /// The sender's user id (`@alice:example.org`).
    pub sender_id: UserId,
    /// Disambiguated when another member has the same display name.
    pub sender_name: String,
    /// `mxc://` URL of the sender's avatar in the room.
    pub sender_avatar_url: Option<String>,
    /// `mxc://` URL of the room's avatar (`m.room.avatar`), for a group conversation's picture.
    pub room_avatar_url: Option<String>,
    /// What the event is (message, image, call, invite, …), to pick an icon or a category.
    pub kind: NotificationKind,
    /// The text to show: the message with reply fallbacks stripped and HTML turned into text, or a
    /// description for events without text ("sent an image", "Encrypted message").
    pub body: String,
    /// The thread root, for a message in a thread.
    pub thread_id: Option<EventId>,
    /// Play a sound: `sound` names it (`default`, `ring`, …).
    pub is_noisy: bool,
    /// The sound the rules asked for (`default`, `ring`, or an app-specific name); `None` when the
    /// notification should be silent.
    pub sound: Option<String>,
    /// Whether the rules highlight the event (a mention, a keyword): show it prominently.
    pub highlight: bool,
    /// When the event was sent (ms since the Unix epoch); for an invite, whose stripped state
    /// carries no time, when the push was handled.
    pub timestamp_ms: u64,
    /// The badge count the server sent with the push.
    pub unread: Option<u64>,
    /// The rule that decided.
    pub rule_id: Option<String>,
    /// Why the event stayed encrypted, for a notification of kind `Encrypted`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub undecryptable: Option<UndecryptableReason>,
}

/// A notification made only from the payload, when the rest could not be fetched in time.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FallbackNotification {
    /// The pushed event's id, when the payload carried one (of the right shape).
    pub event_id: Option<EventId>,
    /// The event's room, when the payload carried one (of the right shape).
    pub room_id: Option<RoomId>,
    /// The room or sender name when the payload carried one.
    pub title: Option<String>,
    /// The text to show: the payload's body with reply fallbacks stripped, "Encrypted message" for
    /// an encrypted event, else "New message".
    pub body: String,
    /// The badge count the server sent with the push (the user's unread notifications), if any.
    pub unread: Option<u64>,
    /// Why the full notification could not be made.
    pub reason: String,
}

/// Why a push shows nothing. New reasons may be added in minor versions.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum SuppressReason {
    /// The user's rules, synced for this push, do not notify for this event.
    Rules {
        /// The rule that decided, or `None` when no rule matched (the spec: no rule, no
        /// notification).
        rule_id: Option<String>,
    },
    /// The user's own event.
    OwnEvent,
    /// An edit (`m.replace`): the original was notified.
    Edit,
    /// The event was redacted before the push was handled.
    Redacted,
    /// The sender is on the user's ignore list (`m.ignored_user_list`).
    IgnoredSender,
}

/// What to do with a push. New outcomes may be added in minor versions.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "one per push, and uniffi hands records over by value: boxing would buy nothing"
)]
pub enum Outcome {
    /// Show this notification.
    Show(#[cfg_attr(feature = "uniffi", uniffi(name = "notification"))] Notification),
    /// Nothing to show, and why. `server_notified`: a push provider delivered a payload naming
    /// the event, so the homeserver's rules said "notify" for it — with
    /// [`SuppressReason::Rules`], the phone's current rules (changed since, or judging
    /// differently) keep silent what the server pushed. `false` for a payload the app built
    /// itself ([`PushPayload::provider`] `None`: an event it learned of otherwise), which is no
    /// evidence of the server's decision: the phone's rules decide alone.
    Suppressed {
        /// Why nothing is shown.
        reason: SuppressReason,
        /// Whether the homeserver had decided to notify (a delivered push named the event).
        server_notified: bool,
    },
    /// A badge-only push: set the badge; `read_rooms` are rooms notified before that are now
    /// read (their notifications can go).
    BadgeUpdate {
        /// The user's unread notification count as the server sent it: set the app's badge to it.
        unread: u64,
        /// Ids of rooms this device notified about that are now read (possibly empty).
        read_rooms: Vec<RoomId>,
    },
    /// The event's room is already read elsewhere: remove its notifications.
    Dismiss {
        /// The rooms whose notifications to remove.
        room_ids: Vec<RoomId>,
    },
    /// The event could not be resolved in time: show this generic notification.
    Fallback(#[cfg_attr(feature = "uniffi", uniffi(name = "notification"))] FallbackNotification),
    /// This event was handled before (by this process or another sharing the store).
    Duplicate,
}

/// Decrypts encrypted events for the notification: the app's own crypto (the device and keys of
/// the Matrix SDK the app is built on). The push rules are evaluated again on the cleartext.
#[async_trait::async_trait]
pub trait EventDecryptor: Send + Sync {
    /// The decrypted event (`type` and `content` of the cleartext, other fields as the original),
    /// or `None` when it cannot be decrypted. `time_left` is what remains of the push's deadline
    /// (fetching a missing key has to fit in it); past it the notification says "Encrypted
    /// message".
    async fn decrypt(&self, room_id: &str, event: &Value, time_left: Duration) -> Option<Value>;
}

/// The event ids handled, one per line (see `Notifier::first_time`).
const HANDLED: &str = "handled_events";
/// Rooms kept in the cache, and event ids remembered for de-duplication.
const MAX_ROOMS: usize = 200;
const MAX_HANDLED: usize = 500;
const LOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// Kept from the deadline by the steps bounded on their own (decrypting, the crypto requests
/// after the decision): what follows them takes a moment, and the push's own deadline must not
/// fire first and turn a decided notification into a fallback.
const FOR_WHAT_FOLLOWS: Duration = Duration::from_millis(20);

/// What is left until `until`.
fn time_left(until: Instant) -> Duration {
    until.saturating_duration_since(Instant::now())
}

/// Resolves pushes for one signed-in account.
pub struct Notifier<'a> {
    session: &'a SessionClient,
    state: &'a StateStore,
    decryptor: Option<Arc<dyn EventDecryptor>>,
    /// What the push's sync brought, for the store once the outcome is out.
    store_write: std::sync::Mutex<Option<StoreWrite>>,
    /// Pushes sync by sliding sync where the server serves it (see `sliding`).
    sliding_sync: bool,
    #[cfg(feature = "e2ee")]
    encryption: Option<&'a crate::crypto::Encryption>,
}

/// Why resolving stopped short (the caller turns it into a fallback).
#[derive(Debug, thiserror::Error)]
enum ResolveError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Fresh(#[from] FreshError),
    #[error("the push is malformed: {0}")]
    Id(#[from] IdError),
    #[error("{0}")]
    Missing(&'static str),
}

impl<'a> Notifier<'a> {
    /// A notifier for the account signed in on `session`, with its state in `state`; `decryptor`
    /// is the app's own, for encrypted events when built-in encryption is off.
    pub fn new(
        session: &'a SessionClient,
        state: &'a StateStore,
        decryptor: Option<Arc<dyn EventDecryptor>>,
    ) -> Self {
        Notifier {
            session,
            state,
            decryptor,
            store_write: std::sync::Mutex::new(None),
            sliding_sync: true,
            #[cfg(feature = "e2ee")]
            encryption: None,
        }
    }

    /// With `false`, pushes sync by `/sync` even where the server serves sliding sync.
    pub fn with_sliding_sync(mut self, sliding_sync: bool) -> Self {
        self.sliding_sync = sliding_sync;
        self
    }

    /// Decrypts with the built-in encryption (which also took the push's sync in).
    #[cfg(feature = "e2ee")]
    pub fn with_encryption(mut self, encryption: Option<&'a crate::crypto::Encryption>) -> Self {
        self.encryption = encryption;
        self
    }

    /// Resolves a push within `deadline`, all of it. Never fails: what cannot be resolved in
    /// time becomes a [`Outcome::Fallback`] (a badge update without rooms to clear).
    pub async fn handle(&self, payload: &PushPayload, deadline: Duration) -> Outcome {
        let until = Instant::now() + deadline;
        match tokio::time::timeout(deadline, self.handle_unbounded(payload, until)).await {
            Ok(outcome) => outcome,
            Err(_) => unresolved(payload, format!("not resolved within {deadline:?}")),
        }
    }

    async fn handle_unbounded(&self, payload: &PushPayload, until: Instant) -> Outcome {
        if !payload.names_event() {
            let unread = payload.unread.unwrap_or(0);
            let read_rooms = self.read_rooms().await;
            return Outcome::BadgeUpdate { unread, read_rooms };
        }
        let event_id = payload.event_id.clone().unwrap_or_default();
        // Resolution starts first; the duplicate check reads and writes the store meanwhile, once
        // resolution's requests are out.
        let first_time = async {
            requests_out().await;
            self.first_time(&event_id).await
        };
        let (resolved, first_time) = tokio::join!(self.resolve(payload, until), first_time);
        if !first_time {
            return Outcome::Duplicate;
        }
        let outcome = match resolved {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!("a push could not be resolved, showing a generic notification: {error}");
                unresolved(payload, error.to_string())
            }
        };
        if let Outcome::Show(notification) = &outcome {
            // With what the push brought, once the outcome is out (a badge-only push reads
            // the list); right away when there is nothing to write after.
            let deferred = match self
                .store_write
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_mut()
            {
                Some(write) => {
                    write.notified_room = Some(notification.room_id.clone());
                    true
                }
                None => false,
            };
            if !deferred {
                remember_notified_room(self.state, &notification.room_id).await;
            }
        }
        outcome
    }

    async fn resolve(&self, payload: &PushPayload, until: Instant) -> Result<Outcome, ResolveError> {
        // Checked once here: what goes into URLs and the store has the spec's shape.
        let room_id = payload
            .room_id
            .clone()
            .ok_or(ResolveError::Missing("the push has no room id"))?;
        let room_id = RoomId::parse(room_id)?;
        let event_id = payload
            .event_id
            .clone()
            .ok_or(ResolveError::Missing("the push has no event id"))?;
        let event_id = EventId::parse(event_id)?;
        let user_id = self.session.user_id()?;
        let cached = self.cached_room(&room_id);
        // Creators and the room version never change: a cached room knows them for good.
        let creators = cached
            .as_ref()
            .filter(|room| room.room_version.is_some())
            .map(|room| (room.creators.clone(), room.room_version.clone()));
        let sliding = self.sliding_sync && !sliding_sync_refused(self.state);
        // To-device messages only for the built-in encryption, which takes them in.
        let to_device = self.session.has_sync_observer();
        // On the app's own session a `/sync` push syncs from scratch (see
        // `SessionClient::may_sync_incrementally`): slower, but the app's room keys stay its own.
        // A sliding sync without to-device messages leaves them alone from any position.
        let incremental = self.session.may_sync_incrementally() || (sliding && !to_device);
        let base = Base::load(self.state, cached.clone(), incremental, sliding);
        let filter_id = base.room.as_ref().and_then(|room| room.filter_id.clone());

        // The one round: the sync (which usually brings the event), and what only a cold room
        // lacks, in parallel. A sliding sync from scratch brings the room's creation too.
        let now = unix_now();
        let key_counts = to_device && base.account.key_counts_due(now);
        let device_sync = to_device.then_some(DeviceSync {
            to_device_since: base.account.to_device_since.as_deref(),
            key_counts,
        });
        let sync_request = self.sync(&room_id, &base, device_sync);
        let create_request = async {
            match creators {
                Some(_) => None,
                None if sliding && base.room.is_none() => None,
                None => Some(self.create_event(&room_id).await),
            }
        };
        let filter_request = async {
            match (&filter_id, incremental && !sliding) {
                // Only an incremental sync goes by filter id.
                (None, true) => fresh::upload_filter(self.session, &user_id, &room_id).await,
                _ => None,
            }
        };
        let known = |sender: &String| {
            base.room
                .as_ref()
                .is_some_and(|room| room.members.contains_key(sender))
        };
        let hinted_sender = payload.sender.clone().filter(|sender| !known(sender));
        let member_request = async {
            match &hinted_sender {
                Some(sender) => self.member_event(&room_id, sender).await,
                None => None,
            }
        };
        // Built-in encryption opens its store meanwhile (a fresh extension process) — unless the
        // room is known to be unencrypted: then only to-device messages or an encrypted event
        // open it (what a push in such a room saves: the store's memory and reads).
        let prepare = async {
            #[cfg(feature = "e2ee")]
            if let Some(encryption) = self.encryption
                && cached.as_ref().and_then(|room| room.encrypted) != Some(false)
            {
                requests_out().await;
                encryption.prepare(self.session).await;
            }
        };
        // Last, once the requests are out: the stored rules parsed while they are in flight.
        let parse_rules = async {
            requests_out().await;
            base.stored_rules();
        };
        let (sync, mut create, uploaded_filter, member, (), ()) = tokio::join!(
            sync_request,
            create_request,
            filter_request,
            member_request,
            prepare,
            parse_rules
        );
        let lazy_members = cached.as_ref().is_some_and(|room| room.lazy_members);
        let (sync, base, lazy_members) = match sync? {
            Synced::FromBase {
                sync,
                too_many_members,
            } => (sync, base, lazy_members || too_many_members),
            Synced::FromScratch {
                sync,
                too_many_members,
            } => (sync, base.without_room(), lazy_members || too_many_members),
            // Once per day at most (see `sliding_sync_refused`): the same push by `/sync`, with
            // the creation a sliding sync would have brought.
            Synced::Refused => {
                let base = Base::load(self.state, cached, self.session.may_sync_incrementally(), false);
                let create_request = async {
                    match (&creators, &create) {
                        (None, None) => Some(self.create_event(&room_id).await),
                        _ => None,
                    }
                };
                let (sync, refetched) = tokio::join!(self.classic_sync(&room_id, &base), create_request);
                create = create.or(refetched);
                (sync?, base, lazy_members)
            }
        };
        // Before the position is stored: the next sync from it acknowledges its to-device
        // messages (room keys for built-in encryption).
        self.session.observe_sync(&sync).await?;
        let mut fresh = fresh::apply(&base, &sync, &room_id, &user_id)?;
        if to_device && base.sliding {
            let messages = sync
                .pointer("/to_device/events")
                .and_then(Value::as_array)
                .is_some_and(|events| !events.is_empty());
            fresh.account.note_key_counts(key_counts, messages, now);
        }
        match (create, &creators) {
            (Some(Ok(create)), _) => fresh.room.apply_create(&create),
            (_, Some((creators, version))) => {
                fresh.room.creators = creators.clone();
                fresh.room.room_version = version.clone();
            }
            _ => {}
        }
        fresh.room.filter_id = uploaded_filter.or(filter_id);
        fresh.room.lazy_members = lazy_members;
        if let Some(member) = member {
            fresh.room.apply_state(&member, &user_id);
        }
        // An invite's event cannot be fetched before joining: the stripped state says it all.
        if fresh.room.membership == "invite" {
            self.store_later(&base, &fresh);
            let inviter = decide::inviter(&fresh.room, payload)
                .ok_or(ResolveError::Missing("the invite names no inviter"))?;
            let judgement = self.judgement(&fresh, &user_id, payload);
            return Ok(judgement.invite(payload, &fresh.room, &event_id, &inviter, &user_id, unix_now_ms()));
        }

        // Round trip 2, only when the event is not among the room's latest since the position.
        let event = match fresh.event(&event_id) {
            Some(event) => event,
            None => match self
                .event_with_sender(&room_id, &event_id, &mut fresh.room, &user_id)
                .await
            {
                Ok(event) => event,
                Err(SessionError::Http(HttpError::Matrix(e)))
                    if matches!(e.errcode.as_str(), "M_NOT_FOUND" | "M_FORBIDDEN") =>
                {
                    self.store_later(&base, &fresh);
                    let judgement = self.judgement(&fresh, &user_id, payload);
                    // Synapse hides the events of ignored users (404) and never pushes them: a
                    // push that raced the ignore, or one without a sender while the user ignores
                    // someone.
                    let ignored = &fresh.account.ignored_users;
                    let sender_ignored = match &payload.sender {
                        Some(sender) => judgement.ignores(sender),
                        None => !ignored.is_empty(),
                    };
                    if sender_ignored {
                        tracing::info!("the event is hidden and the user ignores its sender, or someone");
                        return Ok(judgement.suppressed(SuppressReason::IgnoredSender));
                    }
                    return Err(SessionError::Http(HttpError::Matrix(e)).into());
                }
                Err(e) => return Err(e.into()),
            },
        };
        let sender = event_sender(&event).ok_or(ResolveError::Missing(
            "the event is malformed (no type, sender or content of the right kind)",
        ))?;
        // The sender's member event comes with the event (in the sync's state, or the context);
        // should a server leave it out, one more request.
        if !fresh.room.members.contains_key(sender.as_str())
            && let Some(member) = self.member_event(&room_id, &sender).await
        {
            fresh.room.apply_state(&member, &user_id);
        }
        self.store_later(&base, &fresh);
        let (event, undecryptable) = self.decrypted(&room_id, event, until).await;
        let judgement = self.judgement(&fresh, &user_id, payload);
        let mut outcome = judgement.event(payload, &fresh.room, &event_id, event, &sender, &user_id);
        if let Outcome::Show(notification) = &mut outcome
            && notification.kind == NotificationKind::Encrypted
        {
            notification.undecryptable = undecryptable;
        }
        // What the push's sync asked of the device's crypto (new one-time keys, …) goes out after
        // the outcome, with the store write, within what is left of the deadline. (A push that
        // never opened the crypto store asked nothing of it: what earlier ones left waits for
        // the next that does, or for the app.)
        if let Some(write) = self
            .store_write
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            .filter(|_| self.crypto_is_open())
        {
            write.settle_until = Some(until.checked_sub(FOR_WHAT_FOLLOWS).unwrap_or(until));
        }
        // It would show, but the room was read elsewhere since (fresh counts or receipts say). (An
        // event the rules keep silent stays `Suppressed`: that says why.)
        if matches!(outcome, Outcome::Show(_)) && fresh.read_since(&event_id) {
            return Ok(Outcome::Dismiss {
                room_ids: vec![room_id],
            });
        }
        Ok(outcome)
    }

    /// Whether built-in encryption has its store open in this process (see the store write).
    fn crypto_is_open(&self) -> bool {
        #[cfg(feature = "e2ee")]
        if let Some(encryption) = self.encryption {
            return encryption.is_open();
        }
        false
    }

    /// What the push is judged with: the rules and ignored users the sync brought.
    fn judgement<'f>(&'f self, fresh: &'f Fresh, user_id: &str, payload: &PushPayload) -> Judgement<'f> {
        Judgement::new(
            fresh.rules.as_ref(),
            &fresh.account.ignored_users,
            user_id,
            payload,
        )
    }

    /// The event to judge and, when it stays encrypted, why: its cleartext when it can be
    /// decrypted before `until`, else the event as it came (it shows as "Encrypted message").
    async fn decrypted(
        &self,
        room_id: &str,
        event: Value,
        until: Instant,
    ) -> (Value, Option<UndecryptableReason>) {
        if event.get("type").and_then(Value::as_str) != Some("m.room.encrypted") {
            return (event, None);
        }
        let time_left = time_left(until).saturating_sub(FOR_WHAT_FOLLOWS);
        #[cfg(feature = "e2ee")]
        if let Some(encryption) = self.encryption {
            // The push's sync brought any key that arrived since; a key still missing may be
            // in the account's backup.
            return match encryption.decrypt(self.session, room_id, &event, time_left).await {
                Ok(clear) => (clear, None),
                Err(reason) => (event, Some(reason)),
            };
        }
        let Some(decryptor) = &self.decryptor else {
            return (event, Some(UndecryptableReason::NoDecryption));
        };
        match tokio::time::timeout(time_left, decryptor.decrypt(room_id, &event, time_left)).await {
            Ok(Some(clear)) => (clear, None),
            Ok(None) => (event, Some(UndecryptableReason::AppDecryptorFailed)),
            Err(_) => {
                tracing::info!(
                    ?time_left,
                    "the event was not decrypted within the push's deadline"
                );
                (event, Some(UndecryptableReason::OutOfTime))
            }
        }
    }

    /// The push's sync from `base`, in the `/sync` shape. By sliding sync (see `sliding`) when
    /// `base` says so: should the server have dropped the room's connection position, once more
    /// from scratch; should it not serve sliding sync, [`Synced::Refused`] (and remembered). By
    /// `/sync` otherwise (see [`Notifier::classic_sync`]).
    async fn sync(
        &self,
        room_id: &str,
        base: &Base,
        device_sync: Option<DeviceSync<'_>>,
    ) -> Result<Synced, SessionError> {
        if !base.sliding {
            let sync = self.classic_sync(room_id, base).await?;
            return Ok(Synced::FromBase {
                sync,
                too_many_members: false,
            });
        }
        let mut pos = base.connection_pos();
        let mut members = Members::for_room(base.room.as_ref());
        let mut too_many_members = false;
        loop {
            let request = sliding::request(self.session, room_id, pos, members, device_sync);
            let answer = match self.session.send_request(request).await {
                Ok(answer) => answer,
                Err(SessionError::Http(HttpError::Matrix(e))) => match sliding::refusal(&e) {
                    Some(sliding::Refusal::UnknownPosition) if pos.is_some() => {
                        tracing::info!("the room's sliding-sync position is gone: starting it over");
                        pos = None;
                        continue;
                    }
                    Some(sliding::Refusal::Unsupported) => {
                        tracing::info!("the server does not serve sliding sync ({e}): using /sync");
                        let _ = self.state.write_cache(SLIDING_SYNC_REFUSED, &unix_now());
                        return Ok(Synced::Refused);
                    }
                    _ => return Err(SessionError::Http(HttpError::Matrix(e))),
                },
                // The position is still the connection's: the server drops it only once the
                // client uses a newer one.
                Err(SessionError::Http(HttpError::TooLarge { .. })) if members == Members::All => {
                    tracing::info!(
                        "the room's member events are too many to sync in full: lazily from now on"
                    );
                    members = Members::Lazy;
                    too_many_members = true;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let sync = sliding::to_sync_shape(&answer, room_id)
                .map_err(|_| SessionError::MalformedResponse("the sliding sync answer"))?;
            return Ok(match pos {
                Some(_) => Synced::FromBase {
                    sync,
                    too_many_members,
                },
                None => Synced::FromScratch {
                    sync,
                    too_many_members,
                },
            });
        }
    }

    /// The push's `/sync`: by the room's filter id when it has one; should the server not know
    /// that filter (any 4xx), once more with the filter inline.
    async fn classic_sync(&self, room_id: &str, base: &Base) -> Result<Value, SessionError> {
        let by_id = base.room.as_ref().is_some_and(|room| room.filter_id.is_some());
        let answer = self
            .session
            .send_request(fresh::request(self.session, room_id, base, by_id))
            .await;
        match answer {
            Err(SessionError::Http(HttpError::Matrix(e))) if by_id && (400..500).contains(&e.status) => {
                tracing::info!("the room's sync filter is refused ({e}): sending it inline");
                let request = fresh::request(self.session, room_id, base, false);
                self.session.send_request(request).await
            }
            answer => answer,
        }
    }

    /// An event the sync did not bring, with its sender's member event (taken into `room` when
    /// the room does not know the sender yet), in one request: `/context` with no events around
    /// and lazy-loaded members.
    async fn event_with_sender(
        &self,
        room_id: &str,
        event_id: &str,
        room: &mut RoomInfo,
        user_id: &str,
    ) -> Result<Value, SessionError> {
        let mut url = self.session.url_of(&["rooms", room_id, "context", event_id]);
        let filter = serde_json::json!({"lazy_load_members": true, "types": ["m.room.member"]});
        url.query_pairs_mut()
            .append_pair("limit", "0")
            .append_pair("filter", &filter.to_string());
        let request = Request::new(Method::Get, url).max_body(EVENT_MAX_BODY * 2);
        let context = self.session.send_request(request).await?;
        let members = context.get("state").and_then(Value::as_array);
        for member in members.into_iter().flatten() {
            let known = member
                .get("state_key")
                .and_then(Value::as_str)
                .is_some_and(|id| room.members.contains_key(id));
            if !known {
                room.apply_state(member, user_id);
            }
        }
        context
            .get("event")
            .cloned()
            .ok_or(SessionError::MalformedResponse("the event in its context"))
    }

    /// The room's `m.room.create` event (with its sender), for the creators and room version.
    async fn create_event(&self, room_id: &str) -> Result<Value, SessionError> {
        let mut url = self
            .session
            .url_of(&["rooms", room_id, "state", "m.room.create", ""]);
        url.query_pairs_mut().append_pair("format", "event");
        let request = Request::new(Method::Get, url).max_body(EVENT_MAX_BODY);
        self.session.send_request(request).await
    }

    /// A member's current member event, as a state event to apply (`None` when it cannot be had:
    /// the notification then names them by user id).
    async fn member_event(&self, room_id: &str, user_id: &str) -> Option<Value> {
        let url = self
            .session
            .url_of(&["rooms", room_id, "state", "m.room.member", user_id]);
        let content = self
            .session
            .send_request(Request::new(Method::Get, url))
            .await
            .ok()?;
        Some(serde_json::json!({"type": "m.room.member", "state_key": user_id, "content": content}))
    }

    /// Keeps what the sync brought for the store (see [`Notifier::take_store_write`]).
    fn store_later(&self, base: &Base, fresh: &Fresh) {
        let write = StoreWrite {
            state: self.state.clone(),
            base_generation: base.account.generation,
            kept: base.kept_position(),
            account: fresh.account.clone(),
            room: fresh.room.clone(),
            settle_until: None,
            notified_room: None,
        };
        *self.store_write.lock().unwrap_or_else(|e| e.into_inner()) = Some(write);
    }

    /// What the last push's sync brought, to store once its outcome is out — and, with it, the
    /// crypto requests that sync asked for (see [`StoreWrite::settle_until`]); `None` when it
    /// brought nothing to keep.
    pub fn take_store_write(&self) -> Option<StoreWrite> {
        self.store_write.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Rooms notified before whose unread count is now 0 (for badge-only pushes).
    async fn read_rooms(&self) -> Vec<RoomId> {
        let notified: Vec<RoomId> = self.state.read(NOTIFIED_ROOMS).unwrap_or_default();
        if notified.is_empty() {
            return Vec::new();
        }
        // A timeline of one: Synapse leaves a room with no timeline event out of the answer, and
        // a room left out must not read as read.
        let filter = serde_json::json!({
            "room": {"rooms": notified, "timeline": {"limit": 1}, "state": {"types": []},
                     "ephemeral": {"types": []}, "account_data": {"types": []}},
            "presence": {"types": []}, "account_data": {"types": []}
        });
        let url = sync_url(self.session, filter, None);
        let request = Request::new(Method::Get, url).max_body(SYNC_MAX_BODY);
        let Ok(sync) = self.session.send_request(request).await else {
            return Vec::new();
        };
        let joined = sync
            .pointer("/rooms/join")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let read: Vec<RoomId> = notified
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
        let still_unread: Vec<&RoomId> = notified.iter().filter(|room| !read.contains(room)).collect();
        if let Ok(_lock) = self.state.lock("notify", LOCK_TIMEOUT).await {
            let _ = self.state.write_cache(NOTIFIED_ROOMS, &still_unread);
        }
        read
    }

    /// Records the event id; `false` when it was recorded before (a duplicate push). The ids are
    /// lines of a log that grows by one append per push — the check is on every push's path —
    /// and is cut back to the latest [`MAX_HANDLED`] once it holds twice as many.
    async fn first_time(&self, event_id: &str) -> bool {
        // An id that is not one (a line break would record two) fails resolution anyway.
        if EventId::parse(event_id).is_err() {
            return true;
        }
        let Ok(_lock) = self.state.lock("notify", LOCK_TIMEOUT).await else {
            return true; // Better a rare double notification than a lost one.
        };
        let log = self.state.read_bytes(HANDLED).unwrap_or_else(|| {
            // Where the ids were kept as a JSON list before (a double notification at worst).
            let _ = self.state.remove("handled_events.json");
            Vec::new()
        });
        match record_handled(&log, event_id) {
            Recorded::Before => return false,
            Recorded::Append(line) => {
                let _ = self.state.append_cache(HANDLED, &line);
            }
            Recorded::Rewrite(log) => {
                let _ = self.state.write_bytes_cache(HANDLED, &log);
            }
        }
        true
    }

    fn cached_room(&self, room_id: &str) -> Option<RoomInfo> {
        let room: RoomInfo = self.state.read_room(room_id)?;
        // Another room whose id hashes alike is a miss.
        (room.room_id == room_id).then_some(room)
    }
}

/// What a push's sync brought — the account state and the room — for the store, written once the
/// outcome is out so that the disk is not on the notification's critical path. Written late or
/// never (a process killed first), it costs the next push a sync from an older position, never a
/// wrong answer: the store is a base for deltas.
#[must_use = "apply it, or the next push syncs from an older position"]
pub struct StoreWrite {
    state: StateStore,
    base_generation: u64,
    kept: KeptPosition,
    account: crate::store::AccountState,
    room: RoomInfo,
    settle_until: Option<Instant>,
    /// The room of the notification shown, for the rooms notified.
    notified_room: Option<RoomId>,
}

impl StoreWrite {
    /// Until when to send what the push's sync asked of the device's crypto, once this is
    /// applied (`SessionClient::settle_sync`); `None`: nothing was left for after the outcome.
    pub fn settle_until(&self) -> Option<Instant> {
        self.settle_until
    }

    /// Writes it (see `fresh::store`: positions only move forward), and the notified room.
    pub async fn apply(self) {
        if let Some(room_id) = &self.notified_room {
            remember_notified_room(&self.state, room_id).await;
        }
        if let Some(room) = fresh::store(
            &self.state,
            self.base_generation,
            self.kept,
            self.account,
            self.room,
        )
        .await
        {
            store_room(&self.state, &room);
        }
    }
}

impl std::fmt::Debug for StoreWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreWrite")
            .field("room_id", &self.room.room_id)
            .finish_non_exhaustive()
    }
}

/// What a push's sync answered, from where.
enum Synced {
    /// From the base's position (or from scratch, when the base had none); `too_many_members`:
    /// the room's member events were too many to sync in full (see `sliding::Members`).
    FromBase { sync: Value, too_many_members: bool },
    /// From scratch although the base had a position (the server dropped it).
    FromScratch { sync: Value, too_many_members: bool },
    /// The server does not serve sliding sync.
    Refused,
}

/// What recording an event id in the log of handled ones takes.
#[derive(Debug, PartialEq)]
enum Recorded {
    /// It is in the log: a duplicate push.
    Before,
    /// This line appended.
    Append(Vec<u8>),
    /// The log replaced by this one: its latest [`MAX_HANDLED`] ids, the new one last.
    Rewrite(Vec<u8>),
}

/// Records `event_id` in `log` (ids one per line, oldest first; a line a killed process cut
/// short matches nothing): appended until the log holds twice [`MAX_HANDLED`], then cut back.
fn record_handled(log: &[u8], event_id: &str) -> Recorded {
    let handled: Vec<&[u8]> = log
        .split(|byte| *byte == b'\n')
        .filter(|id| !id.is_empty())
        .collect();
    if handled.contains(&event_id.as_bytes()) {
        return Recorded::Before;
    }
    let line = format!("{event_id}\n").into_bytes();
    if handled.len() + 1 < 2 * MAX_HANDLED {
        return match log.last().is_some_and(|byte| *byte != b'\n') {
            true => Recorded::Append([&b"\n"[..], &line].concat()),
            false => Recorded::Append(line),
        };
    }
    let mut kept = handled[handled.len() + 1 - MAX_HANDLED..].join(&b'\n');
    kept.push(b'\n');
    kept.extend_from_slice(&line);
    Recorded::Rewrite(kept)
}

/// When the server last refused sliding sync (seconds since the epoch); pushes use `/sync` for a
/// day after, then ask again (a server may be upgraded).
const SLIDING_SYNC_REFUSED: &str = "sliding_sync_refused.json";

fn sliding_sync_refused(state: &StateStore) -> bool {
    state
        .read::<u64>(SLIDING_SYNC_REFUSED)
        .is_some_and(|at| unix_now().saturating_sub(at) < 24 * 3600)
}

/// Returns once the requests this task has started are on their way. A request is written by its
/// connection's own task, which tokio runs next on this thread (its LIFO slot, which no other
/// thread takes) only once this task yields: disk or CPU work done before that holds the request
/// back — in a fresh process, the rules' parsing (~0.2 ms here); the duplicate check (~0.05 ms).
async fn requests_out() {
    tokio::task::yield_now().await;
}

/// Seconds since the Unix epoch (0 on a clock set before it).
fn unix_now() -> u64 {
    unix_now_ms() / 1000
}

/// Milliseconds since the Unix epoch (0 on a clock set before it).
fn unix_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().try_into().unwrap_or(u64::MAX))
}

/// Adds `room_id` to the rooms notified (see [`NOTIFIED_ROOMS`]).
async fn remember_notified_room(state: &StateStore, room_id: &RoomId) {
    let Ok(_lock) = state.lock("notify", LOCK_TIMEOUT).await else {
        return;
    };
    let mut rooms: Vec<RoomId> = state.read(NOTIFIED_ROOMS).unwrap_or_default();
    if !rooms.contains(room_id) {
        rooms.push(room_id.clone());
        let _ = state.write_cache(NOTIFIED_ROOMS, &rooms);
    }
}

/// Puts `room` in the push path's room cache (the least recently written rooms out when it is
/// full).
fn store_room(state: &StateStore, room: &RoomInfo) {
    if state.read_room::<RoomInfo>(&room.room_id).as_ref() == Some(room) {
        return;
    }
    if let Err(e) = state.write_room(&room.room_id, room, MAX_ROOMS) {
        tracing::warn!("the room could not be cached: {e}");
    }
}

/// Every room the user has joined, with what its display name needs, from one `/sync` filtered
/// with [`room_list_filter`]. Invites are left out. The rooms are not put in the push path's
/// room cache: they lack the power levels and creators a push is judged with.
pub async fn joined_rooms(session: &SessionClient) -> Result<Vec<RoomInfo>, SessionError> {
    let user_id = session.user_id()?;
    let url = sync_url(session, room_list_filter(), None);
    let sync = session.send_request(Request::new(Method::Get, url)).await?;
    Ok(RoomInfo::joined_from_sync(&sync, &user_id))
}

/// A generic notification from the payload alone, for a push that names an event; `None` for one
/// that does not (a badge-only push has nothing to show). What an app shows when it could not
/// wait for [`Notifier::handle`] (its own deadline passed first).
pub fn fallback(payload: &PushPayload, reason: String) -> Option<FallbackNotification> {
    if !payload.names_event() {
        return None;
    }
    let encrypted = payload.event_type.as_deref() == Some("m.room.encrypted");
    let body = match (&payload.body, encrypted) {
        (Some(body), false) => strip_reply_fallback(body),
        (_, true) => "Encrypted message".to_owned(),
        (None, false) => "New message".to_owned(),
    };
    Some(FallbackNotification {
        // An id of the wrong shape would only mislead the app (grouping, marking read): left out.
        event_id: payload.event_id.clone().and_then(|id| EventId::parse(id).ok()),
        room_id: payload.room_id.clone().and_then(|id| RoomId::parse(id).ok()),
        // An empty name names nothing: the next one, or none (the app's name).
        title: [&payload.room_name, &payload.sender_display_name]
            .into_iter()
            .flatten()
            .find(|name| !name.is_empty())
            .cloned(),
        body,
        unread: payload.unread,
        reason,
    })
}

/// The outcome of a push that could not be resolved: the generic notification from its payload,
/// or, for a push that names no event, the badge alone (with no rooms known to clear).
fn unresolved(payload: &PushPayload, reason: String) -> Outcome {
    match fallback(payload, reason) {
        Some(notification) => Outcome::Fallback(notification),
        None => Outcome::BadgeUpdate {
            unread: payload.unread.unwrap_or(0),
            read_rooms: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(event_id: Option<&str>, badge_only: bool) -> PushPayload {
        PushPayload {
            event_id: event_id.map(str::to_owned),
            room_id: Some("!r:x".into()),
            unread: Some(3),
            badge_only,
            body: Some("> <@a:x> quoted\n\nthe reply".into()),
            room_name: Some("Room".into()),
            ..PushPayload::default()
        }
    }

    #[test]
    fn the_handled_log_grows_by_a_line_and_is_cut_back_to_the_latest() {
        assert_eq!(record_handled(b"", "$a"), Recorded::Append(b"$a\n".to_vec()));
        assert_eq!(record_handled(b"$a\n$b\n", "$b"), Recorded::Before);
        // A line a killed process cut short is no id (and a later append starts a new line).
        assert_eq!(record_handled(b"$a\n$b", "$b"), Recorded::Before);
        assert_eq!(
            record_handled(b"$a\n$bc", "$b"),
            Recorded::Append(b"\n$b\n".to_vec())
        );
        let full: String = (0..2 * MAX_HANDLED - 1).map(|i| format!("${i}\n")).collect();
        let Recorded::Rewrite(kept) = record_handled(full.as_bytes(), "$new") else {
            panic!("a full log is cut back");
        };
        let kept = String::from_utf8(kept).unwrap();
        let ids: Vec<&str> = kept.lines().collect();
        assert_eq!(ids.len(), MAX_HANDLED);
        assert_eq!(
            ids[MAX_HANDLED - 2..],
            [format!("${}", 2 * MAX_HANDLED - 2).as_str(), "$new"]
        );
        assert!(kept.ends_with('\n'));
    }

    #[test]
    fn a_push_that_names_no_event_has_no_fallback_only_its_badge() {
        for no_event in [push(None, false), push(Some("$e"), true), push(None, true)] {
            assert_eq!(fallback(&no_event, "late".into()), None, "{no_event:?}");
            assert_eq!(
                unresolved(&no_event, "late".into()),
                Outcome::BadgeUpdate {
                    unread: 3,
                    read_rooms: Vec::new()
                }
            );
        }
    }

    #[test]
    fn an_event_push_falls_back_to_its_payload() {
        let shown = fallback(&push(Some("$e"), false), "late".into()).expect("a fallback");
        assert_eq!(
            (shown.title.as_deref(), shown.body.as_str(), shown.unread),
            (Some("Room"), "the reply", Some(3))
        );
        assert!(matches!(
            unresolved(&push(Some("$e"), false), "late".into()),
            Outcome::Fallback(_)
        ));
    }

    #[test]
    fn a_fallback_is_titled_by_the_first_name_that_says_something() {
        let titled = |room_name: Option<&str>, sender: Option<&str>| {
            let payload = PushPayload {
                room_name: room_name.map(str::to_owned),
                sender_display_name: sender.map(str::to_owned),
                ..push(Some("$e"), false)
            };
            fallback(&payload, "late".into()).expect("a fallback").title
        };
        assert_eq!(titled(Some("Room"), Some("Alice")).as_deref(), Some("Room"));
        assert_eq!(titled(Some(""), Some("Alice")).as_deref(), Some("Alice"));
        assert_eq!(titled(None, Some("Alice")).as_deref(), Some("Alice"));
        assert_eq!(titled(Some(""), Some("")), None);
    }
}
