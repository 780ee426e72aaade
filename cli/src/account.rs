//! `login`, `whoami`, `logout` and `pushers`.

use crate::Context;
use crate::args::{Failure, Format, PusherArgs, PushersCommand, pusher_failure, session_failure, usage};
use crate::progress;
use matrix_push::pushers::{EnsureOutcome, Pusher, PusherKind};
use matrix_push::secret::Secret;
use matrix_push::session::LoginIdentifier;
use serde_json::json;
use std::io::Read;

pub async fn login(
    context: &Context,
    user: &str,
    homeserver: Option<&str>,
    password_stdin: bool,
) -> Result<(), Failure> {
    if user.is_empty() {
        return Err(usage("login needs a user id or localpart"));
    }
    let password = if password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::Usage(format!("cannot read the password from stdin: {e}")))?;
        let line = text.strip_suffix('\n').unwrap_or(&text);
        line.strip_suffix('\r').unwrap_or(line).to_owned()
    } else {
        std::env::var("MATRIX_PUSH_PASSWORD").map_err(|_| {
            usage("login needs a password: pipe it with --password-stdin or set MATRIX_PUSH_PASSWORD")
        })?
    };
    if password.is_empty() {
        return Err(usage("the password is empty"));
    }
    let homeserver = match homeserver {
        // A URL is checked as given; a server name goes through discovery.
        Some(input) => discovery_url(input).await?,
        None if user.starts_with('@') && user.contains(':') => discovery_url(user).await?,
        None => {
            return Err(usage(format!(
                "{user:?} is not a full user id (@name:server): pass --homeserver URL"
            )));
        }
    };
    let client = context.client(homeserver)?;
    let session = client
        .login_password(&LoginIdentifier::User(user.to_owned()), &Secret::new(password))
        .await
        .map_err(session_failure)?;
    context.print(
        json!({
            "user_id": session.user_id,
            "device_id": session.device_id,
            "homeserver": session.homeserver,
        }),
        || {
            format!(
                "signed in as {} (device {}) on {}",
                session.user_id, session.device_id, session.homeserver
            )
        },
    );
    Ok(())
}

/// The client-server API for a user id, server name or URL.
async fn discovery_url(input: &str) -> Result<url::Url, Failure> {
    let transport =
        matrix_push::http::Transport::new(Default::default()).map_err(|e| Failure::Failed(e.to_string()))?;
    let label = format!("finding the homeserver for {input}");
    progress::step(
        &label,
        matrix_push::session::discover_homeserver(&transport, input),
    )
    .await
    .map_err(session_failure)
}

pub async fn whoami(context: &Context) -> Result<(), Failure> {
    let client = context.signed_in()?;
    let (user_id, device_id) = progress::step("asking the server", client.whoami())
        .await
        .map_err(session_failure)?;
    let homeserver = client.session_client().homeserver().to_string();
    context.print(
        json!({"user_id": user_id, "device_id": device_id, "homeserver": homeserver}),
        || match &device_id {
            Some(device) => format!("{user_id} (device {device}) on {homeserver}"),
            None => format!("{user_id} on {homeserver}"),
        },
    );
    Ok(())
}

pub async fn logout(context: &Context) -> Result<(), Failure> {
    let client = context.signed_in()?;
    let user_id = client
        .session()
        .map(|s| s.user_id.to_string())
        .unwrap_or_default();
    client.logout().await.map_err(session_failure)?;
    context.print(json!({"logged_out": true, "user_id": user_id}), || {
        format!("signed out {user_id}")
    });
    Ok(())
}

pub async fn pushers(context: &Context, command: PushersCommand) -> Result<(), Failure> {
    match command {
        PushersCommand::List => {
            let client = context.signed_in()?;
            let listed = progress::step("fetching the pushers", client.all_pushers())
                .await
                .map_err(pusher_failure)?;
            let value: Vec<_> = listed
                .iter()
                .map(|l| {
                    let mut value = pusher_json(&l.pusher);
                    value["kind"] = json!(l.kind.as_str());
                    value["pushkey_ts"] = json!(l.pushkey_ts);
                    value
                })
                .collect();
            context.print(json!(value), || {
                if listed.is_empty() {
                    return "no pushers".into();
                }
                listed
                    .iter()
                    .map(|l| {
                        let p = &l.pusher;
                        let since = l
                            .pushkey_ts
                            .map(|ts| format!(", pushkey since {ts}"))
                            .unwrap_or_default();
                        match l.kind {
                            PusherKind::Http => format!(
                                "{} {} {} ({}{since})",
                                p.app_id,
                                p.pushkey,
                                p.gateway_url,
                                p.format.as_deref().unwrap_or("full")
                            ),
                            _ => format!("{} {} ({}{since})", p.app_id, p.pushkey, l.kind.as_str()),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }
        PushersCommand::Set(args) => set_pusher(context, "pushers set", args).await,
        PushersCommand::Ensure(args) => set_pusher(context, "pushers ensure", args).await,
        PushersCommand::Remove { app_id, pushkey } => {
            let client = context.signed_in()?;
            client
                .remove_pusher(&app_id, &pushkey)
                .await
                .map_err(pusher_failure)?;
            context.print(
                json!({"removed": true, "app_id": app_id, "pushkey": pushkey}),
                || format!("pusher {app_id} {pushkey}: removed"),
            );
            Ok(())
        }
    }
}

/// `pushers set` (always) or `pushers ensure` (only when the server's differs or is missing).
async fn set_pusher(context: &Context, command: &str, args: PusherArgs) -> Result<(), Failure> {
    let pusher = pusher_from_options(command, args)?;
    let client = context.signed_in()?;
    let outcome = if command == "pushers set" {
        progress::step("setting the pusher", client.set_pusher(&pusher))
            .await
            .map_err(pusher_failure)?;
        "set"
    } else {
        let outcome = progress::step("setting the pusher", client.ensure_pusher(&pusher))
            .await
            .map_err(pusher_failure)?;
        match outcome {
            EnsureOutcome::Unchanged => "unchanged",
            EnsureOutcome::Created => "created",
            EnsureOutcome::Updated => "updated",
        }
    };
    context.print(
        json!({"outcome": outcome, "pusher": pusher_json(&pusher)}),
        || format!("pusher {} {}: {outcome}", pusher.app_id, pusher.pushkey),
    );
    Ok(())
}

/// The pusher described by `pushers set|ensure` options, validated before any request.
fn pusher_from_options(command: &str, args: PusherArgs) -> Result<Pusher, Failure> {
    let mut pusher = Pusher::new(args.pushkey, args.app_id, args.gateway);
    pusher.device_display_name = args.device_name;
    if let Some(name) = args.app_name {
        pusher.app_display_name = name;
    }
    if let Some(lang) = args.lang {
        pusher.lang = lang;
    }
    pusher.profile_tag = args.profile_tag;
    pusher.format = match args.format {
        Format::EventIdOnly => Some("event_id_only".into()),
        Format::Full => None,
    };
    if let Some(text) = args.default_payload {
        let payload: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| usage(format!("{command}: --default-payload is not JSON: {e}")))?;
        pusher.default_payload = Some(payload);
    }
    pusher.validate().map_err(pusher_failure)?;
    Ok(pusher)
}

fn pusher_json(pusher: &Pusher) -> serde_json::Value {
    json!({
        "pushkey": pusher.pushkey,
        "app_id": pusher.app_id,
        "app_display_name": pusher.app_display_name,
        "device_display_name": pusher.device_display_name,
        "profile_tag": pusher.profile_tag,
        "lang": pusher.lang,
        "gateway_url": pusher.gateway_url,
        "format": pusher.format,
        "default_payload": pusher.default_payload,
        "extra_data": pusher.extra_data,
    })
}
