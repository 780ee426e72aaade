//! The push commands: `handle` (a payload file resolved as the phone would) and `gateway` (the
//! project's push gateway, printing what phones would receive and optionally resolving it).

use crate::Context;
use crate::args::{Failure, GatewayArgs};
use crate::progress;
use matrix_push::notify::{NotificationKind, Outcome, SuppressReason};
use matrix_push::payload::Provider;
use serde_json::{Value, json};
use std::time::Duration;

/// How long `gateway --handle` may take per push, as a notification extension would allow.
const HANDLE_DEADLINE: Duration = Duration::from_secs(10);

/// `handle FILE --provider P [--deadline-ms N]`.
pub async fn handle(
    context: &Context,
    file: &str,
    provider: Provider,
    deadline: Duration,
) -> Result<(), Failure> {
    let payload = crate::offline::read_payload(provider, Some(file)).map_err(Failure::Usage)?;
    let client = context.signed_in()?;
    let outcome = progress::step("resolving the push", client.handle_push(&payload, deadline)).await;
    context.print(outcome_json(&outcome), || describe_outcome(&outcome));
    Ok(())
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn suppress_text(reason: &SuppressReason) -> String {
    match reason {
        SuppressReason::Rules { rule_id: Some(rule) } => {
            format!("the push rules do not notify for it (rule {rule})")
        }
        SuppressReason::Rules { rule_id: None } => "no push rule notifies for it".into(),
        SuppressReason::OwnEvent => "it is the user's own event".into(),
        SuppressReason::Edit => "it is an edit".into(),
        SuppressReason::Redacted => "it was redacted".into(),
        SuppressReason::IgnoredSender => "the user ignores its sender".into(),
        other => format!("{other:?}"),
    }
}

fn describe_outcome(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Show(n) => {
            let title = if n.is_dm || n.room_name == n.sender_name {
                n.sender_name.clone()
            } else {
                format!("{} in {}", n.sender_name, n.room_name)
            };
            format!(
                "title: {title}\nbody: {}\nsound: {}\nhighlight: {}",
                n.body,
                n.sound.as_deref().unwrap_or("none"),
                yes_no(n.highlight)
            )
        }
        Outcome::Suppressed {
            reason,
            server_notified,
        } => {
            let pushed = match server_notified {
                true => " (the homeserver had notified)",
                false => "",
            };
            format!("silent: {}{pushed}", suppress_text(reason))
        }
        Outcome::BadgeUpdate { unread, read_rooms } => {
            format!(
                "silent: a badge update (unread {unread}, {} room(s) read)",
                read_rooms.len()
            )
        }
        Outcome::Dismiss { room_ids } => {
            format!(
                "silent: the room is read elsewhere, dismiss {}",
                room_ids
                    .iter()
                    .map(|room| room.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        Outcome::Fallback(f) => format!(
            "title: {}\nbody: {}\nsound: default\nhighlight: no\n(generic: {})",
            f.title.as_deref().unwrap_or("New message"),
            f.body,
            f.reason
        ),
        Outcome::Duplicate => "silent: this event was handled before".into(),
        other => format!("{other:?}"),
    }
}

fn kind_json(kind: &NotificationKind) -> Value {
    match kind {
        NotificationKind::Message { msgtype } => json!({"type": "message", "msgtype": msgtype}),
        NotificationKind::Invite { inviter } => json!({"type": "invite", "inviter": inviter}),
        NotificationKind::Call { video } => json!({"type": "call", "video": video}),
        NotificationKind::Encrypted => json!({"type": "encrypted"}),
        NotificationKind::Other { event_type } => json!({"type": "other", "event_type": event_type}),
        other => json!({"type": format!("{other:?}")}),
    }
}

fn outcome_json(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Show(n) => json!({
            "outcome": "show",
            "notification": {
                "event_id": n.event_id,
                "room_id": n.room_id,
                "room_name": n.room_name,
                "is_dm": n.is_dm,
                "sender_id": n.sender_id,
                "sender_name": n.sender_name,
                "sender_avatar_url": n.sender_avatar_url,
                "room_avatar_url": n.room_avatar_url,
                "kind": kind_json(&n.kind),
                "body": n.body,
                "thread_id": n.thread_id,
                "is_noisy": n.is_noisy,
                "sound": n.sound,
                "highlight": n.highlight,
                "timestamp_ms": n.timestamp_ms,
                "unread": n.unread,
                "rule_id": n.rule_id,
            },
        }),
        Outcome::Suppressed {
            reason,
            server_notified,
        } => {
            let (name, rule_id) = match reason {
                SuppressReason::Rules { rule_id } => ("rules", rule_id.clone()),
                SuppressReason::OwnEvent => ("own_event", None),
                SuppressReason::Edit => ("edit", None),
                SuppressReason::Redacted => ("redacted", None),
                SuppressReason::IgnoredSender => ("ignored_sender", None),
                _ => ("other", None),
            };
            json!({"outcome": "suppressed", "reason": name, "rule_id": rule_id,
                   "server_notified": server_notified, "message": suppress_text(reason)})
        }
        Outcome::BadgeUpdate { unread, read_rooms } => {
            json!({"outcome": "badge_update", "unread": unread, "read_rooms": read_rooms})
        }
        Outcome::Dismiss { room_ids } => json!({"outcome": "dismiss", "room_ids": room_ids}),
        Outcome::Fallback(f) => json!({
            "outcome": "fallback",
            "notification": {
                "event_id": f.event_id,
                "room_id": f.room_id,
                "title": f.title,
                "body": f.body,
                "unread": f.unread,
                "reason": f.reason,
            },
        }),
        Outcome::Duplicate => json!({"outcome": "duplicate"}),
        other => json!({"outcome": format!("{other:?}")}),
    }
}

/// `matrix-push gateway`: serves the Push Gateway API and prints every payload a phone would
/// receive (optionally saving it, and resolving it with the saved session) until stopped.
pub async fn gateway(context: &Context, args: GatewayArgs) -> Result<(), Failure> {
    use matrix_push_gateway::{DeviceProvider, Gateway};
    let addr = args.listen;
    let count = args.count;
    let save = args.save;
    if let Some(dir) = &save {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    // Resolving needs the session: fail now, not at the first push.
    let client = if args.handle {
        Some(context.signed_in()?)
    } else {
        None
    };
    let gateway = Gateway::bind(addr)
        .await
        .map_err(|e| Failure::Failed(format!("cannot listen on {addr}: {e}")))?;
    let list = |value: &Option<String>| {
        value
            .iter()
            .flat_map(|v| v.split(','))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    for app_id in list(&args.fcm) {
        gateway.route_app_id(&app_id, DeviceProvider::Fcm);
    }
    for app_id in list(&args.apns) {
        gateway.route_app_id(&app_id, DeviceProvider::Apns);
    }
    for app_id in list(&args.unified_push) {
        gateway.route_app_id(&app_id, DeviceProvider::UnifiedPush);
    }
    // Endpoints on this gateway's origin find it as their Matrix gateway, as with ntfy.
    gateway.serve_unified_push_discovery();
    for pushkey in list(&args.reject) {
        gateway.reject(&pushkey);
    }
    let mut answered = gateway.subscribe();
    context.print(json!({"listening": gateway.url()}), || {
        format!(
            "push gateway listening: {}\n  app ids ending in .fcm get FCM v1 data maps, .apns APNs payloads, .up UnifiedPush bodies; Ctrl-C stops",
            gateway.url()
        )
    });
    let mut delivered = 0;
    while let Some(answer) = answered.recv().await {
        let record = &answer.record;
        if record.status != 200 {
            let error = record.body.get("error").cloned().unwrap_or(Value::Null);
            context.print(json!({"status": record.status, "error": error}), || {
                format!("{} answered {} to a notify request", timestamp(), record.status)
            });
        }
        if !record.rejected.is_empty() {
            context.print(json!({"rejected": record.rejected}), || {
                format!(
                    "{} rejected pushkey(s) {} (the homeserver will delete those pushers)",
                    timestamp(),
                    record.rejected.join(", ")
                )
            });
        }
        for delivery in answer.deliveries {
            delivered += 1;
            let provider_name = Provider::from(delivery.provider).as_str();
            let saved = match &save {
                Some(dir) => {
                    let path = dir.join(format!("{delivered:04}-{provider_name}.json"));
                    std::fs::write(&path, delivery.payload.to_string())
                        .map_err(|e| Failure::Failed(format!("cannot write {}: {e}", path.display())))?;
                    Some(path.display().to_string())
                }
                None => None,
            };
            let exec = match &args.exec {
                Some(command) => Some(hand_on(command, provider_name, &delivery).await),
                None => None,
            };
            let handled = match &client {
                Some(client) => Some(match delivery.decode() {
                    Ok(payload) => Ok(client.handle_push(&payload, HANDLE_DEADLINE).await),
                    Err(e) => Err(e.to_string()),
                }),
                None => None,
            };
            let value = json!({
                "provider": provider_name,
                "app_id": delivery.app_id,
                "pushkey": delivery.pushkey,
                "payload": delivery.payload,
                "saved": saved,
                "exec": exec.as_ref().map(|result| match result {
                    Ok(code) => json!({"exit_code": code}),
                    Err(error) => json!({"error": error}),
                }),
                "handled": handled.as_ref().map(|handled| match handled {
                    Ok(outcome) => outcome_json(outcome),
                    Err(error) => json!({"outcome": "undecodable", "error": error}),
                }),
            });
            context.print(value, || {
                let mut text = format!(
                    "{} {} payload for pushkey {} (app {}):\n  {}",
                    timestamp(),
                    delivery.provider.display_name(),
                    delivery.pushkey,
                    delivery.app_id,
                    delivery.payload
                );
                if let Some(path) = &saved {
                    text.push_str(&format!("\n  saved to {path}"));
                }
                match &exec {
                    Some(Ok(Some(0))) | None => {}
                    Some(Ok(code)) => {
                        text.push_str(&format!("\n  --exec command exited with {code:?}"));
                    }
                    Some(Err(error)) => text.push_str(&format!("\n  --exec: {error}")),
                }
                match &handled {
                    Some(Ok(outcome)) => {
                        for line in describe_outcome(outcome).lines() {
                            text.push_str(&format!("\n  {line}"));
                        }
                    }
                    Some(Err(error)) => text.push_str(&format!("\n  the SDK cannot decode it: {error}")),
                    None => {}
                }
                text
            });
            if count.is_some_and(|count| delivered >= count) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// How long a `--exec` command may take with one payload.
const EXEC_TIMEOUT: Duration = Duration::from_secs(30);

/// Hands a payload on to `sh -c COMMAND` (e.g. `xcrun simctl push booted APP_ID -` for the iOS
/// Simulator): the payload JSON on stdin, the delivery in `MATRIX_PUSH_PROVIDER`,
/// `MATRIX_PUSH_APP_ID` and `MATRIX_PUSH_PUSHKEY`. Its exit code, or why it could not run.
async fn hand_on(
    command: &str,
    provider: &str,
    delivery: &matrix_push_gateway::Delivery,
) -> Result<Option<i32>, String> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("sh")
        .args(["-c", command])
        .env("MATRIX_PUSH_PROVIDER", provider)
        .env("MATRIX_PUSH_APP_ID", &delivery.app_id)
        .env("MATRIX_PUSH_PUSHKEY", &delivery.pushkey)
        .stdin(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is its business.
        let _ = stdin.write_all(delivery.payload.to_string().as_bytes()).await;
    }
    match tokio::time::timeout(EXEC_TIMEOUT, child.wait()).await {
        Ok(Ok(status)) => Ok(status.code()),
        Ok(Err(e)) => Err(format!("waiting for the command: {e}")),
        Err(_) => Err(format!("the command took over {EXEC_TIMEOUT:?} and was stopped")),
    }
}

/// The wall-clock time of day (UTC), for the gateway's log lines.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = now.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        now.subsec_millis()
    )
}
