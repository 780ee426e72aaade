//! The decision on a push, given what is current as of it: pure, no I/O — so every rule of it is
//! tested here without a homeserver (the end-to-end suites test the same through Synapse).
//!
//! A push that names an event was sent because the homeserver's rules said "notify". The phone
//! refines that with the rules synced for this push and silences it only with those rules, or
//! for its own explicit reasons (the user's own event, an edit, a redacted event, an ignored
//! sender). When its rules would keep the event silent but cannot be trusted to (see
//! [`Judgement`]), the server's decision stands and the disagreement is logged.

use super::render::{NotificationKind, describe};
use super::room::RoomInfo;
use super::{Notification, Outcome, SuppressReason};
use crate::ids::{EventId, UserId};
use crate::payload::{Priority, PushPayload};
use crate::rules::{
    Action, CompiledRuleset, Evaluation, PowerLevels, PushContext, Ruleset, Tweak, server_default_rules,
};
use serde_json::Value;
use std::sync::Arc;

/// An account's rules, compiled to judge with, and whether some of the server's did not parse
/// (and were left out). Shared (`Arc`): the stored ones are compiled once per change in a process
/// that handles push after push (see `fresh::Base::stored_rules`).
#[derive(Debug)]
pub(super) struct Rules {
    pub compiled: CompiledRuleset,
    pub dropped_some: bool,
}

impl Rules {
    /// Compiles `global`, the account's global ruleset.
    pub fn new(global: Ruleset, dropped_some: bool) -> Rules {
        Rules {
            compiled: CompiledRuleset::new(global),
            dropped_some,
        }
    }
}

/// What the phone judges an event with: the rules synced for this push, and how far they can be
/// trusted to silence what the server pushed.
pub(super) struct Judgement<'a> {
    rules: Arc<Rules>,
    /// Why a "silent" from these rules cannot stand against the server's "notify" (`None`: it can).
    doubt: Option<&'static str>,
    ignored_users: &'a [String],
    /// A push provider brought a payload naming the event: the server's rules said notify.
    server_notified: bool,
}

impl<'a> Judgement<'a> {
    /// Judges with `rules` (and whether some did not parse; `None`: the server sent none) and
    /// the user's ignored users, for `payload`.
    pub(super) fn new(
        rules: Option<&Arc<Rules>>,
        ignored_users: &'a [String],
        user_id: &str,
        payload: &PushPayload,
    ) -> Judgement<'a> {
        let (rules, doubt) = match rules {
            Some(rules) if rules.dropped_some => (
                rules.clone(),
                Some("some of the server's rules do not parse here"),
            ),
            Some(rules) => (rules.clone(), None),
            None => (
                Arc::new(Rules::new(server_default_rules(user_id), false)),
                Some("the server sent no rules (the defaults stand in)"),
            ),
        };
        Judgement {
            rules,
            doubt,
            ignored_users,
            server_notified: payload.names_event() && payload.provider.is_some(),
        }
    }

    pub(super) fn ignores(&self, user_id: &str) -> bool {
        self.ignored_users.iter().any(|ignored| ignored == user_id)
    }

    pub(super) fn suppressed(&self, reason: SuppressReason) -> Outcome {
        Outcome::Suppressed {
            reason,
            server_notified: self.server_notified,
        }
    }

    /// The evaluation to show with, or why not to show: the phone's own, unless it says silent
    /// where the server said notify and cannot be trusted to (then the server's decision).
    fn verdict(
        &self,
        evaluation: Evaluation,
        payload: &PushPayload,
        event_type: &str,
    ) -> Result<Evaluation, SuppressReason> {
        if evaluation.notify() {
            return Ok(evaluation);
        }
        let doubt = self
            .doubt
            .or_else(|| {
                (!evaluation.undecided.is_empty())
                    .then_some("rules the phone cannot evaluate rank above the one that decided")
            })
            .or_else(|| {
                // An action it cannot interpret may be the very one that notifies on the server.
                (evaluation.actions.iter().any(|a| matches!(a, Action::Unknown(_))))
                    .then_some("the rule that decided has actions the phone cannot interpret")
            });
        match doubt {
            Some(why) if self.server_notified => {
                tracing::warn!(
                    rule = ?evaluation.rule_id, actions = ?evaluation.actions,
                    undecided = ?evaluation.undecided,
                    "the server notified and the phone's rule would not, but {why}: shown as the server decided"
                );
                Ok(server_decision(evaluation, payload, event_type))
            }
            _ => {
                if self.server_notified {
                    tracing::info!(
                        rule = ?evaluation.rule_id, actions = ?evaluation.actions,
                        "the server notified; the phone's rule, synced for this push, has no notify (changed since the event, or they judge differently): kept silent"
                    );
                }
                Err(SuppressReason::Rules {
                    rule_id: evaluation.rule_id,
                })
            }
        }
    }
}

/// The server's decision as far as the push shows it: notify; a sound when it came with high
/// priority (Synapse's `high` means a sound or highlight tweak, or an encrypted event).
fn server_decision(phone: Evaluation, payload: &PushPayload, event_type: &str) -> Evaluation {
    let mut actions = vec![Action::Notify];
    if payload.prio == Some(Priority::High) && event_type != "m.room.encrypted" {
        actions.push(Action::SetTweak(Tweak::Sound("default".into())));
    }
    Evaluation {
        actions,
        rule_id: phone.undecided.first().cloned(),
        kind: None,
        undecided: phone.undecided,
    }
}

/// What a notification says, apart from the room and the rules.
struct Shown {
    event_id: EventId,
    sender: UserId,
    kind: NotificationKind,
    body: String,
    thread_id: Option<EventId>,
    timestamp_ms: u64,
}

impl Judgement<'_> {
    /// Judges the event (its cleartext, when it could be decrypted) sent by `sender` in `room`
    /// and builds the notification.
    pub(super) fn event(
        &self,
        payload: &PushPayload,
        room: &RoomInfo,
        event_id: &EventId,
        event: Value,
        sender: &UserId,
        user_id: &str,
    ) -> Outcome {
        let judgement = self;
        if sender == user_id {
            return judgement.suppressed(SuppressReason::OwnEvent);
        }
        if event.pointer("/unsigned/redacted_because").is_some() {
            return judgement.suppressed(SuppressReason::Redacted);
        }
        if judgement.ignores(sender) {
            return judgement.suppressed(SuppressReason::IgnoredSender);
        }
        let relation = |key: &str| {
            event
                .pointer(&format!("/content/m.relates_to/{key}"))
                .and_then(Value::as_str)
        };
        if relation("rel_type") == Some("m.replace") {
            return judgement.suppressed(SuppressReason::Edit);
        }
        let event_type = event.get("type").and_then(Value::as_str).unwrap_or_default();
        let evaluation = judgement.rules.compiled.evaluate(&event, &context(room, user_id));
        let evaluation = match judgement.verdict(evaluation, payload, event_type) {
            Ok(evaluation) => evaluation,
            Err(reason) => return judgement.suppressed(reason),
        };
        let sender_name = room.member_name(sender);
        let (kind, body) = describe(&event, &sender_name);
        let shown = Shown {
            event_id: event_id.clone(),
            sender: sender.clone(),
            kind,
            body,
            // A thread root that is no event id cannot be opened: shown outside the thread.
            thread_id: match relation("rel_type") {
                Some("m.thread") => relation("event_id").and_then(|root| EventId::parse(root).ok()),
                _ => None,
            },
            timestamp_ms: event
                .get("origin_server_ts")
                .and_then(Value::as_u64)
                .unwrap_or_default(),
        };
        Outcome::Show(notification(room, user_id, shown, &evaluation, payload))
    }

    /// An invite, from its stripped state, judged by the rules on the synthesized member event.
    /// `now_ms` (ms since the Unix epoch) is when the push was handled: stripped state carries no
    /// time, so it stands in for the invite's (passed in, so the decision reads no clock).
    pub(super) fn invite(
        &self,
        payload: &PushPayload,
        room: &RoomInfo,
        event_id: &EventId,
        inviter: &UserId,
        user_id: &str,
        now_ms: u64,
    ) -> Outcome {
        let judgement = self;
        if judgement.ignores(inviter) {
            return judgement.suppressed(SuppressReason::IgnoredSender);
        }
        let member_event = serde_json::json!({
            "type": "m.room.member", "state_key": user_id, "sender": inviter, "room_id": room.room_id,
            "event_id": event_id, "content": {"membership": "invite"}
        });
        let evaluation = judgement
            .rules
            .compiled
            .evaluate(&member_event, &context(room, user_id));
        let evaluation = match judgement.verdict(evaluation, payload, "m.room.member") {
            Ok(evaluation) => evaluation,
            Err(reason) => return judgement.suppressed(reason),
        };
        let inviter_name = room.member_name(inviter);
        let body = if room.is_dm() {
            format!("{inviter_name} wants to chat")
        } else {
            format!("{inviter_name} invited you to {}", room.display_name(user_id))
        };
        let shown = Shown {
            event_id: event_id.clone(),
            sender: inviter.clone(),
            kind: NotificationKind::Invite {
                inviter: inviter.clone(),
            },
            body,
            thread_id: None,
            timestamp_ms: now_ms,
        };
        Outcome::Show(notification(room, user_id, shown, &evaluation, payload))
    }
}

/// The sender of an event of the right shape: a `type` string, a `sender` user id, `content` an
/// object.
pub(super) fn event_sender(event: &Value) -> Option<UserId> {
    let text = |key: &str| event.get(key).and_then(Value::as_str);
    text("type")?;
    event.get("content").filter(|content| content.is_object())?;
    UserId::parse(text("sender")?).ok()
}

/// Who sent an invite: the sender of its member event in the stripped state, else the one the
/// push names.
pub(super) fn inviter(room: &RoomInfo, payload: &PushPayload) -> Option<UserId> {
    [&room.inviter, &payload.sender]
        .into_iter()
        .flatten()
        .find_map(|sender| UserId::parse(sender.as_str()).ok())
}

/// The notification for `shown` in `room`, with the sound and highlight of `evaluation`.
fn notification(
    room: &RoomInfo,
    user_id: &str,
    shown: Shown,
    evaluation: &Evaluation,
    payload: &PushPayload,
) -> Notification {
    let sound = evaluation.sound().map(str::to_owned);
    Notification {
        event_id: shown.event_id,
        room_id: room.room_id.clone(),
        room_name: room.display_name(user_id),
        is_dm: room.is_dm(),
        sender_avatar_url: room
            .members
            .get(shown.sender.as_str())
            .and_then(|member| member.avatar_url.clone()),
        room_avatar_url: room.avatar_url.clone(),
        sender_name: room.member_name(&shown.sender),
        sender_id: shown.sender,
        kind: shown.kind,
        body: shown.body,
        thread_id: shown.thread_id,
        is_noisy: sound.is_some(),
        sound,
        highlight: evaluation.highlight(),
        timestamp_ms: shown.timestamp_ms,
        unread: payload.unread,
        rule_id: evaluation.rule_id.clone(),
        undecryptable: None,
    }
}

/// The evaluation context for the user in a room.
fn context(room: &RoomInfo, user_id: &str) -> PushContext {
    let mut cx = PushContext::new(user_id);
    cx.room_id = Some(room.room_id.to_string());
    cx.display_name = room.members.get(user_id).and_then(|m| m.display_name.clone());
    cx.member_count = Some(room.joined_members);
    cx.power_levels = room.power_levels.as_ref().map(PowerLevels::from_content);
    cx.creators = room.creators.clone();
    cx.room_version = room.room_version.clone();
    cx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::room::Member;
    use crate::rules::PushRules;
    use serde_json::json;

    const ME: &str = "@me:x";
    const ALICE: &str = "@alice:x";
    /// When the tests' pushes are handled (ms since the Unix epoch).
    const NOW_MS: u64 = 1_700_000_000_000;

    /// A DM with Alice, as the sync left it.
    fn dm() -> RoomInfo {
        let mut room = RoomInfo {
            joined_members: 2,
            heroes: vec![ALICE.into()],
            membership: "join".into(),
            ..RoomInfo::new(crate::ids::RoomId::parse("!dm:x").unwrap())
        };
        for (id, name) in [(ALICE, "Alice"), (ME, "Me Myself")] {
            let member = Member {
                display_name: Some(name.into()),
                avatar_url: None,
            };
            room.members.insert(id.into(), member);
        }
        room
    }

    fn pushed(prio: Priority) -> PushPayload {
        PushPayload {
            provider: Some(crate::payload::Provider::Fcm),
            event_id: Some("$e".into()),
            room_id: Some("!dm:x".into()),
            prio: Some(prio),
            ..PushPayload::default()
        }
    }

    fn rules(extra: Value) -> Arc<Rules> {
        Arc::new(Rules::new(push_rules(extra).global, false))
    }

    fn push_rules(extra: Value) -> PushRules {
        let mut global = server_default_rules(ME).to_value();
        for (kind, added) in extra.as_object().unwrap() {
            let list = global[kind].as_array_mut().unwrap();
            for rule in added.as_array().unwrap().iter().rev() {
                list.insert(0, rule.clone());
            }
        }
        PushRules::from_value(&json!({"global": global})).unwrap()
    }

    fn message(sender: &str, content: Value) -> Value {
        json!({"type": "m.room.message", "sender": sender, "event_id": "$e", "room_id": "!dm:x",
               "origin_server_ts": 1_700_000_000_000u64, "content": content})
    }

    fn text(body: &str) -> Value {
        json!({"msgtype": "m.text", "body": body})
    }

    fn judge(rules: Option<&Arc<Rules>>, ignored: &[String], payload: &PushPayload, event: Value) -> Outcome {
        let sender = event_sender(&event).unwrap();
        let event_id = EventId::parse("$e").unwrap();
        Judgement::new(rules, ignored, ME, payload).event(payload, &dm(), &event_id, event, &sender, ME)
    }

    fn invite_of(judgement: &Judgement<'_>, payload: &PushPayload, invite: &RoomInfo) -> Outcome {
        let inviter = inviter(invite, payload).expect("an inviter");
        judgement.invite(
            payload,
            invite,
            &EventId::parse("$e").unwrap(),
            &inviter,
            ME,
            NOW_MS,
        )
    }

    fn shown(outcome: Outcome) -> Notification {
        match outcome {
            Outcome::Show(n) => n,
            other => panic!("expected a notification: {other:?}"),
        }
    }

    #[test]
    fn a_dm_message_rings_and_is_named_after_the_sender() {
        let defaults = rules(json!({}));
        let n = shown(judge(
            Some(&defaults),
            &[],
            &pushed(Priority::High),
            message(ALICE, text("hi")),
        ));
        assert_eq!(
            (n.sender_name.as_str(), n.room_name.as_str(), n.body.as_str()),
            ("Alice", "Alice", "hi")
        );
        assert_eq!(n.rule_id.as_deref(), Some(".m.rule.room_one_to_one"));
        assert!(n.is_noisy && n.is_dm && !n.highlight);
        assert_eq!(n.timestamp_ms, 1_700_000_000_000);
    }

    #[test]
    fn the_phones_own_reasons_silence_and_say_the_server_had_notified() {
        let defaults = rules(json!({}));
        let payload = pushed(Priority::High);
        let reason = |outcome| match outcome {
            Outcome::Suppressed {
                reason,
                server_notified: true,
            } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(judge(Some(&defaults), &[], &payload, message(ME, text("mine")))),
            SuppressReason::OwnEvent
        );
        let mut redacted = message(ALICE, text("gone"));
        redacted["unsigned"] = json!({"redacted_because": {}});
        assert_eq!(
            reason(judge(Some(&defaults), &[], &payload, redacted)),
            SuppressReason::Redacted
        );
        let edit = json!({"msgtype": "m.text", "body": "* fixed", "m.relates_to": {"rel_type": "m.replace", "event_id": "$o"}});
        assert_eq!(
            reason(judge(Some(&defaults), &[], &payload, message(ALICE, edit))),
            SuppressReason::Edit
        );
        let ignored = [ALICE.to_owned()];
        assert_eq!(
            reason(judge(
                Some(&defaults),
                &ignored,
                &payload,
                message(ALICE, text("hi"))
            )),
            SuppressReason::IgnoredSender
        );
    }

    #[test]
    fn rules_synced_for_the_push_may_silence_what_the_server_pushed() {
        let quiet =
            rules(json!({"room": [{"rule_id": "!dm:x", "default": false, "enabled": true, "actions": []}]}));
        assert_eq!(
            judge(
                Some(&quiet),
                &[],
                &pushed(Priority::Low),
                message(ALICE, text("chatter"))
            ),
            Outcome::Suppressed {
                reason: SuppressReason::Rules {
                    rule_id: Some("!dm:x".into())
                },
                server_notified: true
            }
        );
        let mention = json!({"msgtype": "m.text", "body": "Me?", "m.mentions": {"user_ids": [ME]}});
        let n = shown(judge(
            Some(&quiet),
            &[],
            &pushed(Priority::High),
            message(ALICE, mention),
        ));
        assert!(n.highlight, "override rules run before the room rule");
    }

    #[test]
    fn rules_that_cannot_be_trusted_to_silence_defer_to_the_server() {
        let quiet_room = json!({"rule_id": "!dm:x", "default": false, "enabled": true, "actions": []});
        let undecidable = json!({"rule_id": "subscribed", "default": false, "enabled": true, "actions": ["notify"],
                                 "conditions": [{"kind": "io.element.msc4306.thread_subscription", "subscribed": true}]});
        let with_unknown = rules(json!({"override": [undecidable], "room": [quiet_room.clone()]}));
        let n = shown(judge(
            Some(&with_unknown),
            &[],
            &pushed(Priority::High),
            message(ALICE, text("in a thread")),
        ));
        assert_eq!(
            (n.rule_id.as_deref(), n.sound.as_deref()),
            (Some("subscribed"), Some("default"))
        );
        let n = shown(judge(
            Some(&with_unknown),
            &[],
            &pushed(Priority::Low),
            message(ALICE, text("low")),
        ));
        assert_eq!(n.sound, None, "low priority: the server asked for no sound");

        // Rules that did not all parse, or none at all: the server's "notify" stands too.
        let partial = Arc::new(Rules::new(push_rules(json!({"room": [quiet_room]})).global, true));
        let n = shown(judge(
            Some(&partial),
            &[],
            &pushed(Priority::High),
            message(ALICE, text("x")),
        ));
        assert_eq!(n.body, "x");
        let notice = json!({"msgtype": "m.notice", "body": "bot says"});
        let none = judge(None, &[], &pushed(Priority::High), message(ALICE, notice.clone()));
        assert!(
            matches!(none, Outcome::Show(_)),
            "the defaults would silence it: {none:?}"
        );
        let defaults = rules(json!({}));
        assert!(matches!(
            judge(
                Some(&defaults),
                &[],
                &pushed(Priority::High),
                message(ALICE, notice)
            ),
            Outcome::Suppressed { .. }
        ));
    }

    #[test]
    fn a_payload_the_app_built_itself_is_no_evidence_of_the_servers_decision() {
        let quiet_room = json!({"rule_id": "!dm:x", "default": false, "enabled": true, "actions": []});
        let partial = Arc::new(Rules::new(push_rules(json!({"room": [quiet_room]})).global, true));
        let built = PushPayload {
            provider: None,
            ..pushed(Priority::High)
        };
        // The same doubtful rules that defer to a delivered push decide alone here.
        assert!(matches!(
            judge(
                Some(&partial),
                &[],
                &pushed(Priority::High),
                message(ALICE, text("x"))
            ),
            Outcome::Show(_)
        ));
        assert_eq!(
            judge(Some(&partial), &[], &built, message(ALICE, text("x"))),
            Outcome::Suppressed {
                reason: SuppressReason::Rules {
                    rule_id: Some("!dm:x".into())
                },
                server_notified: false
            }
        );
    }

    /// What `f` returns, and what it logged (info and above).
    fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
        #[derive(Clone, Default)]
        struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        let value = tracing::subscriber::with_default(subscriber, || {
            // Callsites first met by another test thread (no subscriber there) cache "never".
            tracing::callsite::rebuild_interest_cache();
            f()
        });
        let text = String::from_utf8_lossy(&buffer.0.lock().unwrap()).into_owned();
        (value, text)
    }

    #[test]
    fn a_rule_whose_actions_cannot_be_interpreted_defers_to_the_server_and_says_so() {
        // A delivered push of "hi" judged by one room rule: the outcome and what was logged.
        let judged_by = |room_rule: Value| {
            logged(|| {
                judge(
                    Some(&rules(json!({"room": [room_rule]}))),
                    &[],
                    &pushed(Priority::High),
                    message(ALICE, text("hi")),
                )
            })
        };
        // A number where "notify" was (as a corrupted or hostile answer has it), or an action
        // from a later spec: the server may have notified by it.
        for actions in [
            json!([6, {"set_tweak": "sound", "value": "default"}]),
            json!(["org.example.ring_twice"]),
        ] {
            let strange = json!({"rule_id": "!dm:x", "default": false, "enabled": true, "actions": actions});
            let (outcome, log) = judged_by(strange);
            assert_eq!(shown(outcome).body, "hi", "{actions}");
            assert!(
                log.contains("WARN") && log.contains("!dm:x") && log.contains("cannot interpret"),
                "{log}"
            );
        }
        // Rules the phone can read that keep it silent: silent, and the disagreement is logged
        // with the rule and its actions.
        let quiet = json!({"rule_id": "!dm:x", "default": false, "enabled": true, "actions": []});
        let (outcome, log) = judged_by(quiet);
        assert!(
            matches!(
                outcome,
                Outcome::Suppressed {
                    server_notified: true,
                    ..
                }
            ),
            "{outcome:?}"
        );
        assert!(
            log.contains("INFO") && log.contains("rule=Some(\"!dm:x\")") && log.contains("actions=[]"),
            "{log}"
        );
    }

    #[test]
    fn an_encrypted_event_is_judged_on_its_cleartext_and_else_shown_as_encrypted() {
        let defaults = rules(json!({}));
        let payload = pushed(Priority::High);
        // What the decryptor hands back: the cleartext in place of the ciphertext.
        let clear = json!({"type": "m.room.message", "sender": ALICE, "event_id": "$e",
                           "content": {"msgtype": "m.text", "body": "secret", "m.mentions": {"user_ids": [ME]}}});
        let n = shown(judge(Some(&defaults), &[], &payload, clear));
        assert!(n.highlight && n.body == "secret");
        let encrypted = json!({"type": "m.room.encrypted", "sender": ALICE, "event_id": "$e",
                               "content": {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "…"}});
        let without = shown(judge(Some(&defaults), &[], &payload, encrypted));
        assert_eq!(
            (without.kind, without.body.as_str()),
            (NotificationKind::Encrypted, "Encrypted message")
        );
    }

    #[test]
    fn invites_are_judged_on_the_member_event_they_stand_for() {
        let defaults = rules(json!({}));
        let mut invite = dm();
        invite.membership = "invite".into();
        invite.inviter = Some(ALICE.into());
        invite.is_direct = true;
        let payload = pushed(Priority::High);
        let judgement = Judgement::new(Some(&defaults), &[], ME, &payload);
        let n = shown(invite_of(&judgement, &payload, &invite));
        assert_eq!(n.body, "Alice wants to chat");
        assert_eq!(n.rule_id.as_deref(), Some(".m.rule.invite_for_me"));
        let ignored = [ALICE.to_owned()];
        let judgement = Judgement::new(Some(&defaults), &ignored, ME, &payload);
        assert!(matches!(
            invite_of(&judgement, &payload, &invite),
            Outcome::Suppressed {
                reason: SuppressReason::IgnoredSender,
                ..
            }
        ));
    }

    #[test]
    fn an_invite_is_dated_when_its_push_is_handled() {
        let mut invite = dm();
        invite.membership = "invite".into();
        invite.inviter = Some(ALICE.into());
        let payload = pushed(Priority::High);
        let defaults = rules(json!({}));
        let judgement = Judgement::new(Some(&defaults), &[], ME, &payload);
        let n = shown(invite_of(&judgement, &payload, &invite));
        assert_eq!(
            n.timestamp_ms, NOW_MS,
            "stripped state has no time: the caller's clock stands in"
        );
    }

    #[test]
    fn the_inviter_comes_from_the_stripped_state_else_the_push_and_must_be_a_user_id() {
        let mut invite = dm();
        let mut payload = pushed(Priority::High);
        payload.sender = Some("@bob:x".into());
        invite.inviter = Some(ALICE.into());
        assert_eq!(inviter(&invite, &payload).unwrap(), ALICE);
        invite.inviter = Some("alice".into());
        assert_eq!(
            inviter(&invite, &payload).unwrap(),
            "@bob:x",
            "not a user id: the push's"
        );
        payload.sender = None;
        assert_eq!(
            inviter(&invite, &payload),
            None,
            "no inviter: the push falls back"
        );
    }

    #[test]
    fn events_of_the_wrong_shape_have_no_sender() {
        for event in [
            json!({"type": 7, "sender": ALICE, "content": {}}),
            json!({"type": "m.room.message", "sender": [ALICE], "content": {}}),
            json!({"type": "m.room.message", "sender": ALICE, "content": "hi"}),
            json!({"type": "m.room.message", "sender": "", "content": {}}),
            json!({"type": "m.room.message", "sender": "alice", "content": {}}),
        ] {
            assert_eq!(event_sender(&event), None, "{event}");
        }
    }
}
