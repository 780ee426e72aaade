//! Push-rule evaluation throughput: matrix-push against ruma's evaluator (`ruma-common`), on the
//! same 10 000 generated events, the same rule sets and the same room contexts, in the same run.
//! Both sides start from the event's JSON text, as a push handler receives it.
//!
//! Rule sets: (a) the server defaults; (b) a heavy account — defaults + 50 keyword rules with
//! wildcards + 200 room rules + 50 sender rules. Also measured: compiling the heavy ruleset.
//!
//! Run with `./scripts/bench-rules`; a table with events per second and the ratio is printed at
//! the end.

use criterion::{BatchSize, Criterion, Throughput};
use matrix_push::rules::{
    CompiledRuleset, PowerLevels, PushContext, Rule, RuleKind, Ruleset, server_default_rules,
};
use ruma_common::power_levels::NotificationPowerLevels;
use ruma_common::push::{PushConditionPowerLevelsCtx, PushConditionRoomCtx};
use ruma_common::room_version_rules::{AuthorizationRules, RoomPowerLevelsRules};
use ruma_common::serde::Raw;
use ruma_common::{OwnedRoomId, OwnedUserId};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

const EVENTS: usize = 10_000;
const ROOMS: usize = 400;
const SENDERS: usize = 150;
const ME: &str = "@alice:example.org";
const MY_NAME: &str = "Alice Liddell";

/// A small deterministic generator (splitmix64), so every run sees the same events.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "the",
    "a",
    "we",
    "should",
    "ship",
    "it",
    "today",
    "tomorrow",
    "meeting",
    "lunch",
    "coffee",
    "deploy",
    "deployment",
    "release",
    "build",
    "broken",
    "fixed",
    "thanks",
    "great",
    "idea",
    "why",
    "not",
    "yes",
    "no",
    "maybe",
    "server",
    "client",
    "push",
    "notification",
    "phone",
    "android",
    "ios",
    "review",
    "merge",
    "branch",
    "test",
    "tests",
    "failing",
    "green",
    "red",
    "cake",
    "pizza",
    "party",
    "friday",
    "weekend",
    "plan",
    "ticket",
    "bug",
    "crash",
    "log",
    "logs",
    "look",
    "at",
    "this",
    "that",
    "there",
    "here",
    "ok",
    "okay",
    "sure",
    "done",
    "soon",
    "later",
    "now",
    "call",
    "me",
    "you",
    "they",
    "room",
    "chat",
    "matrix",
    "element",
    "synapse",
    "rust",
    "kotlin",
    "swift",
    "battery",
    "memory",
    "latency",
    "fast",
    "slow",
    "outage",
    "incident",
    "on-call",
    "pager",
    "alert",
    "dashboard",
    "graph",
    "metrics",
    "café",
    "naïve",
    "über",
    "Straße",
    "🙂",
    "🎉",
    "👍",
    "v1.2.3",
    "https://example.org/x",
    "#general",
    "@room",
    "Alice",
    "alice",
    "Bob",
    "carol",
    "dave",
];

const KEYWORDS: &[&str] = &[
    "deploy*",
    "*ment",
    "ca?e",
    "pizza",
    "r?lease*",
    "on-call",
    "outage",
    "incident*",
    "pag?r",
    "*crash*",
    "friday",
    "lunch",
    "coffee",
    "build*",
    "*fail*",
    "merg?",
    "rev*w",
    "ticket",
    "bug",
    "urgent",
    "asap",
    "prod*",
    "server",
    "battery",
    "memor?",
    "latenc*",
    "dashboard",
    "alert*",
    "*graph",
    "metric?",
    "ship",
    "green",
    "broken",
    "fix*",
    "log?",
    "party",
    "weekend",
    "plan*",
    "synapse",
    "rust",
    "kotlin",
    "swift",
    "matrix",
    "element",
    "android",
    "ios",
    "notification*",
    "phone",
    "?hanks",
    "gr*t",
];

fn room_id(i: usize) -> String {
    format!("!room{i:03}AbCdEfGh:example.org")
}

fn sender(i: usize) -> String {
    format!("@user{i:03}:example.org")
}

fn body(rng: &mut Random) -> String {
    let words = 3 + rng.below(40);
    (0..words).map(|_| rng.pick(WORDS)).collect::<Vec<_>>().join(" ")
}

fn event(rng: &mut Random, i: usize) -> Value {
    let room = room_id(rng.below(ROOMS));
    let from = sender(rng.below(SENDERS));
    let mut event = json!({
        "event_id": format!("$event{i}abcdefghijklmnopqrstuvwxyz0123456789"),
        "room_id": room, "sender": from, "origin_server_ts": 1_732_000_000_000u64 + i as u64,
        "unsigned": {"age": 1234}
    });
    let roll = rng.below(100);
    let (kind, content) = match roll {
        0..=54 => {
            let mut content = json!({"msgtype": "m.text", "body": body(rng)});
            if rng.chance(8) {
                content["m.mentions"] = json!({"user_ids": [ME]});
            } else if rng.chance(30) {
                content["m.mentions"] = json!({});
            }
            if rng.chance(3) {
                content["m.mentions"] = json!({"room": true});
            }
            if rng.chance(10) {
                content["format"] = json!("org.matrix.custom.html");
                content["formatted_body"] = json!(format!("<p>{}</p>", content["body"].as_str().unwrap()));
            }
            ("m.room.message", content)
        }
        55..=59 => (
            "m.room.message",
            json!({"msgtype": "m.notice", "body": body(rng)}),
        ),
        60..=71 => (
            "m.room.encrypted",
            json!({"algorithm": "m.megolm.v1.aes-sha2", "sender_key": "SK", "device_id": "DEV", "session_id": "S",
                   "ciphertext": "AwgAEpAB".repeat(40)}),
        ),
        72..=79 => (
            "m.reaction",
            json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": "$target", "key": "👍"}}),
        ),
        80..=84 => (
            "m.room.message",
            json!({"msgtype": "m.text", "body": format!("* {}", body(rng)),
                   "m.new_content": {"msgtype": "m.text", "body": body(rng)},
                   "m.relates_to": {"rel_type": "m.replace", "event_id": "$orig"}}),
        ),
        85..=89 => {
            let target = if rng.chance(20) {
                ME.to_owned()
            } else {
                sender(rng.below(SENDERS))
            };
            event["state_key"] = json!(target);
            let membership = if rng.chance(50) { "join" } else { "invite" };
            (
                "m.room.member",
                json!({"membership": membership, "displayname": "Someone"}),
            )
        }
        90..=91 => (
            "m.call.invite",
            json!({"call_id": "c1", "version": "1", "lifetime": 60000, "offer": {"type": "offer", "sdp": "v=0\r\nm=audio 9 UDP\r\n"}}),
        ),
        92..=94 => (
            "m.room.message",
            json!({"msgtype": "m.image", "body": "photo.jpg", "url": "mxc://example.org/abc",
                   "info": {"mimetype": "image/jpeg", "size": 123_456, "w": 800, "h": 600}}),
        ),
        _ => (
            "m.room.message",
            json!({"msgtype": "m.text", "body": body(rng),
                   "m.relates_to": {"rel_type": "m.thread", "event_id": "$root", "is_falling_back": true,
                                     "m.in_reply_to": {"event_id": "$prev"}}}),
        ),
    };
    event["type"] = json!(kind);
    event["content"] = content;
    event
}

fn user_rule(rule_id: String, actions: Value, extra: Value) -> Value {
    let mut rule = json!({"rule_id": rule_id, "default": false, "enabled": true, "actions": actions});
    if let (Some(rule), Some(extra)) = (rule.as_object_mut(), extra.as_object()) {
        rule.extend(extra.clone());
    }
    rule
}

/// Defaults + 50 keyword rules with wildcards + 200 room rules + 50 sender rules; user rules go
/// before the server defaults of their kind, as servers list them.
fn heavy_ruleset() -> Ruleset {
    let mut ruleset = server_default_rules(ME);
    let notify_sound = json!(["notify", {"set_tweak": "sound", "value": "default"}]);
    let user: Vec<(RuleKind, Value)> = KEYWORDS
        .iter()
        .enumerate()
        .map(|(i, pattern)| {
            let actions = if i % 5 == 0 {
                json!(["notify", {"set_tweak": "highlight"}])
            } else {
                notify_sound.clone()
            };
            (
                RuleKind::Content,
                user_rule(format!("keyword{i}"), actions, json!({"pattern": pattern})),
            )
        })
        .chain((0..200).map(|i| {
            let actions = if i % 2 == 0 {
                json!([])
            } else {
                notify_sound.clone()
            };
            (RuleKind::Room, user_rule(room_id(i), actions, json!({})))
        }))
        .chain((0..50).map(|i| (RuleKind::Sender, user_rule(sender(i * 3), json!([]), json!({})))))
        .collect();
    // None of these kinds has a rule that must stay first (like `.m.rule.master` in override).
    for (kind, rule) in user.into_iter().rev() {
        let rule = Rule::from_value(kind, 0, &rule).expect("valid rule");
        ruleset.rules_mut(kind).insert(0, rule);
    }
    ruleset
}

struct Room {
    ours: PushContext,
    theirs: PushConditionRoomCtx,
}

fn rooms() -> Vec<Room> {
    let mut rng = Random(7);
    (0..ROOMS)
        .map(|i| {
            let members = if rng.chance(30) {
                2
            } else {
                3 + rng.below(500) as u64
            };
            let creator = sender(rng.below(SENDERS));
            let moderator = sender(rng.below(SENDERS));
            let power_levels =
                json!({"users": {creator.clone(): 100, moderator.clone(): 50, ME: 0}, "users_default": 0});
            let mut ours = PushContext::new(ME);
            ours.display_name = Some(MY_NAME.into());
            ours.member_count = Some(members);
            ours.power_levels = Some(PowerLevels::from_content(&power_levels));
            ours.creators = vec![creator.clone()];
            ours.room_version = Some("12".into());
            let users: BTreeMap<OwnedUserId, _> = [(&creator, 100), (&moderator, 50), (&ME.to_owned(), 0)]
                .into_iter()
                .map(|(user, level)| (user.parse().unwrap(), level.into()))
                .collect();
            let creators = [creator.parse::<OwnedUserId>().unwrap()];
            let theirs = PushConditionRoomCtx::new(
                room_id(i).parse::<OwnedRoomId>().unwrap(),
                members.try_into().unwrap(),
                ME.parse().unwrap(),
                MY_NAME.into(),
            )
            .with_power_levels(PushConditionPowerLevelsCtx::new(
                users,
                0.into(),
                NotificationPowerLevels::new(),
                RoomPowerLevelsRules::new(&AuthorizationRules::V12, creators),
            ));
            Room { ours, theirs }
        })
        .collect()
}

/// Polls a future that never waits (ruma's evaluator is async only for an optional hook).
fn run_now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("ruma's evaluator waited"),
    }
}

struct Input {
    /// Each event's JSON text and its room index.
    events: Vec<(String, usize)>,
    raw: Vec<Raw<Value>>,
    rooms: Vec<Room>,
}

fn input() -> Input {
    let mut rng = Random(42);
    let rooms = rooms();
    let events: Vec<(String, usize)> = (0..EVENTS)
        .map(|i| {
            let event = event(&mut rng, i);
            let room = rooms
                .iter()
                .position(|r| r.theirs.room_id.as_str() == event["room_id"].as_str().unwrap())
                .unwrap();
            (event.to_string(), room)
        })
        .collect();
    let raw = events
        .iter()
        .map(|(text, _)| Raw::from_json_string(text.clone()).unwrap())
        .collect();
    Input { events, raw, rooms }
}

fn ours(rules: &CompiledRuleset, input: &Input) -> usize {
    let mut notifying = 0;
    for (text, room) in &input.events {
        notifying += rules
            .evaluate_json(text, &input.rooms[*room].ours)
            .unwrap()
            .notify() as usize;
    }
    notifying
}

fn theirs(rules: &ruma_common::push::Ruleset, input: &Input) -> usize {
    let mut notifying = 0;
    for (raw, (_, room)) in input.raw.iter().zip(&input.events) {
        let actions = run_now(rules.get_actions(raw, &input.rooms[*room].theirs));
        notifying += actions.iter().any(|a| a.should_notify()) as usize;
    }
    notifying
}

/// How often both evaluators pick the same rule (they differ only where ruma departs from the
/// spec, e.g. one-to-many case folds).
fn agreement(ours: &CompiledRuleset, theirs: &ruma_common::push::Ruleset, input: &Input) -> usize {
    input
        .events
        .iter()
        .zip(&input.raw)
        .filter(|((text, room), raw)| {
            let a = ours
                .evaluate_json(text, &input.rooms[*room].ours)
                .unwrap()
                .rule_id;
            let b =
                run_now(theirs.get_match(raw, &input.rooms[*room].theirs)).map(|r| r.rule_id().to_owned());
            a == b
        })
        .count()
}

fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("criterion")
}

/// Mean time per iteration of a finished benchmark, in nanoseconds, from criterion's report.
fn mean_ns(group: &str, bench: &str) -> Option<f64> {
    let path = output_dir().join(group).join(bench).join("new/estimates.json");
    let estimates: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

fn main() {
    let input = input();
    let defaults = server_default_rules(ME);
    let heavy = heavy_ruleset();
    let sets = [("defaults", defaults), ("heavy", heavy.clone())];
    let mut criterion = Criterion::default()
        .output_directory(&output_dir())
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .configure_from_args();

    let mut agreements = Vec::new();
    for (name, ruleset) in &sets {
        let compiled = CompiledRuleset::new(ruleset.clone());
        let ruma: ruma_common::push::Ruleset =
            serde_json::from_value(ruleset.to_value()).expect("ruma reads the ruleset");
        assert_eq!(
            ours(&compiled, &input),
            theirs(&ruma, &input),
            "{name}: both notify for the same events"
        );
        agreements.push((name, agreement(&compiled, &ruma, &input)));
        let mut group = criterion.benchmark_group(format!("evaluate-{name}"));
        group.throughput(Throughput::Elements(EVENTS as u64));
        group.bench_function("matrix-push", |b| b.iter(|| ours(&compiled, &input)));
        group.bench_function("ruma", |b| b.iter(|| theirs(&ruma, &input)));
        group.finish();
    }
    let rule_count = heavy.iter().count();
    let mut group = criterion.benchmark_group("compile");
    group.bench_function("heavy", |b| {
        b.iter_batched(|| heavy.clone(), CompiledRuleset::new, BatchSize::SmallInput);
    });
    group.finish();
    criterion.final_summary();

    println!("\nrules benchmark: {EVENTS} events, matrix-push vs ruma-common 0.20 (same inputs, same run)");
    println!(
        "{:<10} {:>18} {:>14} {:>8}  same rule chosen",
        "ruleset", "matrix-push ev/s", "ruma ev/s", "ratio"
    );
    for (name, agreed) in agreements {
        let group = format!("evaluate-{name}");
        match (mean_ns(&group, "matrix-push"), mean_ns(&group, "ruma")) {
            (Some(a), Some(b)) => {
                let per_second = |ns: f64| EVENTS as f64 / (ns / 1e9);
                println!(
                    "{name:<10} {:>18.0} {:>14.0} {:>7.1}x  {agreed}/{EVENTS}",
                    per_second(a),
                    per_second(b),
                    b / a
                );
            }
            _ => println!("{name:<10} (no estimates: run with `cargo bench`)"),
        }
    }
    if let Some(ns) = mean_ns("compile", "heavy") {
        println!("compile heavy ruleset ({rule_count} rules): {:.1} µs", ns / 1e3);
    }
}
