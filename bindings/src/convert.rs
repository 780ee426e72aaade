//! The records and enums that cross the FFI, and their conversions to and from the core's types.
//! JSON-shaped fields (arbitrary event content, `default_payload`) cross as JSON text.

use crate::{MatrixPushError, invalid};
use matrix_push::{notify, payload, pushers, rules, session, settings};
use serde_json::Value;

/// Who is signed in (the tokens stay inside the library).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SessionInfo {
    pub homeserver: String,
    pub user_id: String,
    pub device_id: String,
}

impl From<session::Session> for SessionInfo {
    fn from(s: session::Session) -> Self {
        SessionInfo {
            homeserver: s.homeserver,
            user_id: s.user_id,
            device_id: s.device_id,
        }
    }
}

/// How the user names themselves to sign in.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum LoginIdentifier {
    /// `@alice:example.org` or `alice`.
    User {
        user: String,
    },
    Email {
        address: String,
    },
    Phone {
        country: String,
        number: String,
    },
}

impl From<LoginIdentifier> for session::LoginIdentifier {
    fn from(id: LoginIdentifier) -> Self {
        match id {
            LoginIdentifier::User { user } => session::LoginIdentifier::User(user),
            LoginIdentifier::Email { address } => session::LoginIdentifier::Email(address),
            LoginIdentifier::Phone { country, number } => session::LoginIdentifier::Phone { country, number },
        }
    }
}

/// An HTTP pusher (see the core's `pushers::Pusher`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Pusher {
    pub pushkey: String,
    pub app_id: String,
    pub app_display_name: String,
    pub device_display_name: String,
    pub profile_tag: Option<String>,
    pub lang: String,
    pub gateway_url: String,
    /// `event_id_only` (recommended) or null for the full format.
    pub format: Option<String>,
    /// JSON object the gateway merges into every push, e.g. `{"cs": "…"}` or the APNs `aps`.
    pub default_payload_json: Option<String>,
}

impl TryFrom<Pusher> for pushers::Pusher {
    type Error = MatrixPushError;
    fn try_from(p: Pusher) -> Result<Self, MatrixPushError> {
        let default_payload = match p.default_payload_json {
            Some(json) => {
                Some(serde_json::from_str(&json).map_err(|e| invalid(format!("default_payload: {e}")))?)
            }
            None => None,
        };
        Ok(pushers::Pusher {
            pushkey: p.pushkey,
            app_id: p.app_id,
            app_display_name: p.app_display_name,
            device_display_name: p.device_display_name,
            profile_tag: p.profile_tag,
            lang: p.lang,
            gateway_url: p.gateway_url,
            format: p.format,
            default_payload,
            extra_data: Default::default(),
        })
    }
}

impl From<pushers::Pusher> for Pusher {
    fn from(p: pushers::Pusher) -> Self {
        Pusher {
            pushkey: p.pushkey,
            app_id: p.app_id,
            app_display_name: p.app_display_name,
            device_display_name: p.device_display_name,
            profile_tag: p.profile_tag,
            lang: p.lang,
            gateway_url: p.gateway_url,
            format: p.format,
            default_payload_json: p.default_payload.map(|v| v.to_string()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum EnsureOutcome {
    Unchanged,
    Created,
    Updated,
}

impl From<pushers::EnsureOutcome> for EnsureOutcome {
    fn from(o: pushers::EnsureOutcome) -> Self {
        match o {
            pushers::EnsureOutcome::Unchanged => EnsureOutcome::Unchanged,
            pushers::EnsureOutcome::Created => EnsureOutcome::Created,
            pushers::EnsureOutcome::Updated => EnsureOutcome::Updated,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum RoomNotificationMode {
    AllMessages,
    MentionsAndKeywordsOnly,
    Mute,
}

impl From<settings::RoomNotificationMode> for RoomNotificationMode {
    fn from(m: settings::RoomNotificationMode) -> Self {
        match m {
            settings::RoomNotificationMode::AllMessages => RoomNotificationMode::AllMessages,
            settings::RoomNotificationMode::MentionsAndKeywordsOnly => {
                RoomNotificationMode::MentionsAndKeywordsOnly
            }
            settings::RoomNotificationMode::Mute => RoomNotificationMode::Mute,
        }
    }
}

impl From<RoomNotificationMode> for settings::RoomNotificationMode {
    fn from(m: RoomNotificationMode) -> Self {
        match m {
            RoomNotificationMode::AllMessages => settings::RoomNotificationMode::AllMessages,
            RoomNotificationMode::MentionsAndKeywordsOnly => {
                settings::RoomNotificationMode::MentionsAndKeywordsOnly
            }
            RoomNotificationMode::Mute => settings::RoomNotificationMode::Mute,
        }
    }
}

/// A joined room as a settings screen lists it (see the core's `notify::RoomSummary`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct RoomSummary {
    pub room_id: String,
    /// The room's display name, as notifications name it.
    pub name: String,
    pub is_dm: bool,
    pub joined_members: u64,
    /// The room's own mode; null when the account's defaults apply.
    pub mode: Option<RoomNotificationMode>,
}

impl From<notify::RoomSummary> for RoomSummary {
    fn from(r: notify::RoomSummary) -> Self {
        RoomSummary {
            room_id: r.room_id,
            name: r.name,
            is_dm: r.is_dm,
            joined_members: r.joined_members,
            mode: r.mode.map(Into::into),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum RuleKind {
    Override,
    Content,
    Postcontent,
    Room,
    Sender,
    Underride,
}

impl From<RuleKind> for rules::RuleKind {
    fn from(k: RuleKind) -> Self {
        match k {
            RuleKind::Override => rules::RuleKind::Override,
            RuleKind::Content => rules::RuleKind::Content,
            RuleKind::Postcontent => rules::RuleKind::Postcontent,
            RuleKind::Room => rules::RuleKind::Room,
            RuleKind::Sender => rules::RuleKind::Sender,
            RuleKind::Underride => rules::RuleKind::Underride,
        }
    }
}

impl From<rules::RuleKind> for RuleKind {
    fn from(k: rules::RuleKind) -> Self {
        match k {
            rules::RuleKind::Override => RuleKind::Override,
            rules::RuleKind::Content => RuleKind::Content,
            rules::RuleKind::Postcontent => RuleKind::Postcontent,
            rules::RuleKind::Room => RuleKind::Room,
            rules::RuleKind::Sender => RuleKind::Sender,
            rules::RuleKind::Underride => RuleKind::Underride,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Provider {
    Fcm,
    FcmLegacy,
    Apns,
    UnifiedPush,
    Gateway,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Priority {
    High,
    Low,
}

/// A decoded push (see the core's `payload::PushPayload`).
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct PushPayload {
    pub event_id: Option<String>,
    pub room_id: Option<String>,
    pub unread: Option<u64>,
    pub missed_calls: Option<u64>,
    pub prio: Option<Priority>,
    pub badge_only: bool,
    pub event_type: Option<String>,
    pub sender: Option<String>,
    pub sender_display_name: Option<String>,
    pub room_name: Option<String>,
    pub room_alias: Option<String>,
    pub membership: Option<String>,
    pub user_is_target: Option<bool>,
    pub body: Option<String>,
    pub content_json: Option<String>,
    /// Every other key, as a JSON object.
    pub extra_json: String,
    pub provider: Option<Provider>,
}

impl From<payload::PushPayload> for PushPayload {
    fn from(p: payload::PushPayload) -> Self {
        PushPayload {
            event_id: p.event_id,
            room_id: p.room_id,
            unread: p.unread,
            missed_calls: p.missed_calls,
            prio: p.prio.map(|prio| match prio {
                payload::Priority::High => Priority::High,
                payload::Priority::Low => Priority::Low,
            }),
            badge_only: p.badge_only,
            event_type: p.event_type,
            sender: p.sender,
            sender_display_name: p.sender_display_name,
            room_name: p.room_name,
            room_alias: p.room_alias,
            membership: p.membership,
            user_is_target: p.user_is_target,
            body: p.body,
            content_json: p.content.map(|c| c.to_string()),
            extra_json: Value::Object(p.extra).to_string(),
            provider: p.provider.map(|provider| match provider {
                payload::Provider::Fcm => Provider::Fcm,
                payload::Provider::FcmLegacy => Provider::FcmLegacy,
                payload::Provider::Apns => Provider::Apns,
                payload::Provider::UnifiedPush => Provider::UnifiedPush,
                payload::Provider::Gateway => Provider::Gateway,
            }),
        }
    }
}

impl From<PushPayload> for payload::PushPayload {
    fn from(p: PushPayload) -> Self {
        payload::PushPayload {
            event_id: p.event_id,
            room_id: p.room_id,
            unread: p.unread,
            missed_calls: p.missed_calls,
            prio: p.prio.map(|prio| match prio {
                Priority::High => payload::Priority::High,
                Priority::Low => payload::Priority::Low,
            }),
            badge_only: p.badge_only,
            event_type: p.event_type,
            sender: p.sender,
            sender_display_name: p.sender_display_name,
            room_name: p.room_name,
            room_alias: p.room_alias,
            membership: p.membership,
            user_is_target: p.user_is_target,
            body: p.body,
            content: p.content_json.and_then(|json| serde_json::from_str(&json).ok()),
            extra: serde_json::from_str(&p.extra_json).unwrap_or_default(),
            provider: p.provider.map(|provider| match provider {
                Provider::Fcm => payload::Provider::Fcm,
                Provider::FcmLegacy => payload::Provider::FcmLegacy,
                Provider::Apns => payload::Provider::Apns,
                Provider::UnifiedPush => payload::Provider::UnifiedPush,
                Provider::Gateway => payload::Provider::Gateway,
            }),
        }
    }
}

/// One account signed in on the phone, as `routePush` matches pushes to it (see the core's
/// `payload::AccountRoute`).
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct AccountRoute {
    /// The app's name for the account (typically the user id).
    pub account: String,
    /// The routing token in the account pusher's `default_payload` under `cs`.
    #[uniffi(default = None)]
    pub secret: Option<String>,
    /// The account pusher's app id.
    #[uniffi(default = None)]
    pub app_id: Option<String>,
    /// The account pusher's pushkey.
    #[uniffi(default = None)]
    pub pushkey: Option<String>,
}

impl From<AccountRoute> for payload::AccountRoute {
    fn from(r: AccountRoute) -> Self {
        payload::AccountRoute {
            account: r.account,
            secret: r.secret,
            app_id: r.app_id,
            pushkey: r.pushkey,
        }
    }
}

impl From<payload::AccountRoute> for AccountRoute {
    fn from(r: payload::AccountRoute) -> Self {
        AccountRoute {
            account: r.account,
            secret: r.secret,
            app_id: r.app_id,
            pushkey: r.pushkey,
        }
    }
}

/// What kind of notification an event makes.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum NotificationKind {
    Message { msgtype: String },
    Invite { inviter: String },
    Call { video: bool },
    Encrypted,
    Other { event_type: String },
}

impl From<notify::NotificationKind> for NotificationKind {
    fn from(k: notify::NotificationKind) -> Self {
        match k {
            notify::NotificationKind::Message { msgtype } => NotificationKind::Message { msgtype },
            notify::NotificationKind::Invite { inviter } => NotificationKind::Invite { inviter },
            notify::NotificationKind::Call { video } => NotificationKind::Call { video },
            notify::NotificationKind::Encrypted => NotificationKind::Encrypted,
            notify::NotificationKind::Other { event_type } => NotificationKind::Other { event_type },
        }
    }
}

/// A notification ready to show (the core's `notify::Notification`; named `PushNotification`
/// here so that it does not clash with Foundation's `Notification` in Swift).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PushNotification {
    pub event_id: String,
    pub room_id: String,
    pub room_name: String,
    pub is_dm: bool,
    pub sender_id: String,
    pub sender_name: String,
    pub sender_avatar_url: Option<String>,
    pub kind: NotificationKind,
    pub body: String,
    pub thread_id: Option<String>,
    pub is_noisy: bool,
    pub sound: Option<String>,
    pub highlight: bool,
    pub timestamp_ms: u64,
    pub unread: Option<u64>,
    pub rule_id: Option<String>,
}

impl From<notify::Notification> for PushNotification {
    fn from(n: notify::Notification) -> Self {
        PushNotification {
            event_id: n.event_id,
            room_id: n.room_id,
            room_name: n.room_name,
            is_dm: n.is_dm,
            sender_id: n.sender_id,
            sender_name: n.sender_name,
            sender_avatar_url: n.sender_avatar_url,
            kind: n.kind.into(),
            body: n.body,
            thread_id: n.thread_id,
            is_noisy: n.is_noisy,
            sound: n.sound,
            highlight: n.highlight,
            timestamp_ms: n.timestamp_ms,
            unread: n.unread,
            rule_id: n.rule_id,
        }
    }
}

/// A generic notification built from the payload alone.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct FallbackNotification {
    pub event_id: Option<String>,
    pub room_id: Option<String>,
    pub title: Option<String>,
    pub body: String,
    pub unread: Option<u64>,
    pub reason: String,
}

impl From<notify::FallbackNotification> for FallbackNotification {
    fn from(f: notify::FallbackNotification) -> Self {
        FallbackNotification {
            event_id: f.event_id,
            room_id: f.room_id,
            title: f.title,
            body: f.body,
            unread: f.unread,
            reason: f.reason,
        }
    }
}

/// Why a push shows nothing.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum SuppressReason {
    /// The user's rules, synced for this push, do not notify for the event.
    Rules {
        rule_id: Option<String>,
    },
    OwnEvent,
    Edit,
    Redacted,
    /// The sender is on the user's ignore list.
    IgnoredSender,
}

/// What to do with a push.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum Outcome {
    Show {
        notification: PushNotification,
    },
    /// Nothing to show. `server_notified`: the homeserver pushed the event (its rules said
    /// notify), so a `Rules` reason means the phone's current rules keep it silent.
    Suppressed {
        reason: SuppressReason,
        server_notified: bool,
    },
    BadgeUpdate {
        unread: u64,
        read_rooms: Vec<String>,
    },
    Dismiss {
        room_ids: Vec<String>,
    },
    Fallback {
        notification: FallbackNotification,
    },
    Duplicate,
}

impl From<notify::Outcome> for Outcome {
    fn from(o: notify::Outcome) -> Self {
        match o {
            notify::Outcome::Show(n) => Outcome::Show {
                notification: n.into(),
            },
            notify::Outcome::Suppressed {
                reason,
                server_notified,
            } => Outcome::Suppressed {
                reason: match reason {
                    notify::SuppressReason::Rules { rule_id } => SuppressReason::Rules { rule_id },
                    notify::SuppressReason::OwnEvent => SuppressReason::OwnEvent,
                    notify::SuppressReason::Edit => SuppressReason::Edit,
                    notify::SuppressReason::Redacted => SuppressReason::Redacted,
                    notify::SuppressReason::IgnoredSender => SuppressReason::IgnoredSender,
                },
                server_notified,
            },
            notify::Outcome::BadgeUpdate { unread, read_rooms } => {
                Outcome::BadgeUpdate { unread, read_rooms }
            }
            notify::Outcome::Dismiss { room_ids } => Outcome::Dismiss { room_ids },
            notify::Outcome::Fallback(f) => Outcome::Fallback {
                notification: f.into(),
            },
            notify::Outcome::Duplicate => Outcome::Duplicate,
        }
    }
}

/// What the rule evaluator needs to know about the room and the user.
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct RuleContext {
    pub user_id: String,
    #[uniffi(default = None)]
    pub display_name: Option<String>,
    #[uniffi(default = None)]
    pub member_count: Option<u64>,
    /// `m.room.power_levels` content as JSON.
    #[uniffi(default = None)]
    pub power_levels_json: Option<String>,
    #[uniffi(default = [])]
    pub creators: Vec<String>,
    #[uniffi(default = None)]
    pub room_version: Option<String>,
    #[uniffi(default = None)]
    pub room_id: Option<String>,
}

impl TryFrom<RuleContext> for rules::PushContext {
    type Error = MatrixPushError;
    fn try_from(c: RuleContext) -> Result<Self, MatrixPushError> {
        let power_levels = match c.power_levels_json {
            Some(json) => {
                let content: Value =
                    serde_json::from_str(&json).map_err(|e| invalid(format!("power levels: {e}")))?;
                Some(rules::PowerLevels::from_content(&content))
            }
            None => None,
        };
        let mut cx = rules::PushContext::new(c.user_id);
        cx.display_name = c.display_name;
        cx.member_count = c.member_count;
        cx.power_levels = power_levels;
        cx.creators = c.creators;
        cx.room_version = c.room_version;
        cx.room_id = c.room_id;
        Ok(cx)
    }
}

/// The result of evaluating push rules.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Evaluation {
    /// The matched rule's actions as JSON (obsolete `dont_notify`/`coalesce` removed).
    pub actions_json: String,
    pub rule_id: Option<String>,
    pub kind: Option<RuleKind>,
    pub notify: bool,
    pub highlight: bool,
    pub sound: Option<String>,
}

impl From<rules::Evaluation> for Evaluation {
    fn from(e: rules::Evaluation) -> Self {
        Evaluation {
            actions_json: serde_json::to_string(&e.actions).unwrap_or_else(|_| "[]".into()),
            notify: e.notify(),
            highlight: e.highlight(),
            sound: e.sound().map(str::to_owned),
            rule_id: e.rule_id,
            kind: e.kind.map(Into::into),
        }
    }
}
