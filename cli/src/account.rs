//! `login`, `whoami`, `logout` and `pushers`.

use crate::Context;
use crate::args::{Failure, Parsed, pusher_failure, session_failure, usage};
use crate::progress;
use matrix_push::pushers::{EnsureOutcome, Pusher};
use matrix_push::secret::Secret;
use matrix_push::session::LoginIdentifier;
use serde_json::json;
use std::io::Read;

pub async fn login(context: &Context, args: &[&str]) -> Result<(), Failure> {
    let parsed = Parsed::new("login", args, &["--homeserver"], &["--password-stdin"])?;
    let [user] = parsed.positionals("login", ["USER_ID_OR_LOCALPART"])?;
    if user.is_empty() {
        return Err(usage("login needs a user id or localpart"));
    }
    let password = if parsed.flag("--password-stdin") {
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
    let homeserver = match parsed.value("--homeserver") {
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

pub async fn whoami(context: &Context, args: &[&str]) -> Result<(), Failure> {
    Parsed::new("whoami", args, &[], &[])?.positionals("whoami", [])?;
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

pub async fn logout(context: &Context, args: &[&str]) -> Result<(), Failure> {
    Parsed::new("logout", args, &[], &[])?.positionals("logout", [])?;
    let client = context.signed_in()?;
    let user_id = client.session().map(|s| s.user_id).unwrap_or_default();
    client.logout().await.map_err(session_failure)?;
    context.print(json!({"logged_out": true, "user_id": user_id}), || {
        format!("signed out {user_id}")
    });
    Ok(())
}

pub async fn pushers(context: &Context, args: &[&str]) -> Result<(), Failure> {
    match args {
        ["list", rest @ ..] => {
            Parsed::new("pushers list", rest, &[], &[])?.positionals("pushers list", [])?;
            let client = context.signed_in()?;
            let pushers = progress::step("fetching the pushers", client.pushers())
                .await
                .map_err(pusher_failure)?;
            let value: Vec<_> = pushers.iter().map(pusher_json).collect();
            context.print(json!(value), || {
                if pushers.is_empty() {
                    return "no pushers".into();
                }
                pushers
                    .iter()
                    .map(|p| {
                        format!(
                            "{} {} {} ({})",
                            p.app_id,
                            p.pushkey,
                            p.gateway_url,
                            p.format.as_deref().unwrap_or("full")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }
        [verb @ ("set" | "ensure"), rest @ ..] => {
            let command = format!("pushers {verb}");
            let pusher = pusher_from_options(&command, rest)?;
            let client = context.signed_in()?;
            let outcome = if *verb == "set" {
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
        ["remove", rest @ ..] => {
            let command = "pushers remove";
            let parsed = Parsed::new(command, rest, &["--pushkey", "--app-id"], &[])?;
            parsed.positionals(command, [])?;
            let app_id = parsed.required(command, "--app-id")?;
            let pushkey = parsed.required(command, "--pushkey")?;
            let client = context.signed_in()?;
            client
                .remove_pusher(app_id, pushkey)
                .await
                .map_err(pusher_failure)?;
            context.print(
                json!({"removed": true, "app_id": app_id, "pushkey": pushkey}),
                || format!("pusher {app_id} {pushkey}: removed"),
            );
            Ok(())
        }
        [other, ..] => Err(usage(format!("unknown pushers command {other:?}"))),
        [] => Err(usage("pushers needs list, set, ensure or remove")),
    }
}

/// The pusher described by `pushers set|ensure` options, validated before any request.
fn pusher_from_options(command: &str, args: &[&str]) -> Result<Pusher, Failure> {
    let parsed = Parsed::new(
        command,
        args,
        &[
            "--pushkey",
            "--app-id",
            "--gateway",
            "--format",
            "--app-name",
            "--device-name",
            "--lang",
            "--profile-tag",
            "--default-payload",
        ],
        &[],
    )?;
    parsed.positionals(command, [])?;
    let mut pusher = Pusher::new(
        parsed.required(command, "--pushkey")?,
        parsed.required(command, "--app-id")?,
        parsed.required(command, "--gateway")?,
    );
    pusher.device_display_name = parsed.value("--device-name").unwrap_or("matrix-push CLI").into();
    if let Some(name) = parsed.value("--app-name") {
        pusher.app_display_name = name.into();
    }
    if let Some(lang) = parsed.value("--lang") {
        pusher.lang = lang.into();
    }
    pusher.profile_tag = parsed.value("--profile-tag").map(str::to_owned);
    pusher.format = match parsed.value("--format").unwrap_or("event_id_only") {
        "event_id_only" => Some("event_id_only".into()),
        "full" => None,
        other => {
            return Err(usage(format!(
                "{command}: --format is event_id_only or full, not {other:?}"
            )));
        }
    };
    if let Some(text) = parsed.value("--default-payload") {
        let payload: serde_json::Value = serde_json::from_str(text)
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
