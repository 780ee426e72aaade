//! Push-rule syncing: `/sync` long-polls with a filter that returns only the account data the
//! push path judges with — `m.push_rules` and `m.ignored_user_list` — and no rooms or presence. What
//! arrives is merged into the stored [`AccountState`] with its `next_batch` (the base every push
//! brings up to date with a sync of its own; see [`StateStore::replace_account`]), and rule
//! changes are handed to the caller. [`apply_account_data`] is the one reader of account data,
//! for this loop and for the push path. Editing the rules is [`crate::settings`].

use crate::http::{Method, Request};
use crate::rules::PushRules;
use crate::session::{SessionClient, SessionError};
use crate::store::{AccountState, RawJson, StateStore, StoreError};
use serde_json::{Value, json};
use std::time::Duration;

/// Why syncing or fetching the rules failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// A request failed, or there is no session.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The rules could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server's rules are not a push-rules document.
    #[error("the server's push rules do not parse: {0}")]
    InvalidRules(#[from] crate::rules::ParseError),
}

/// The account data types the push path judges with.
pub const ACCOUNT_DATA_TYPES: [&str; 2] = ["m.push_rules", "m.ignored_user_list"];

/// The `/sync` filter: only the account data of [`ACCOUNT_DATA_TYPES`].
pub fn push_rules_filter() -> Value {
    json!({
        "account_data": {"types": ACCOUNT_DATA_TYPES},
        "presence": {"types": []},
        "room": {"rooms": []}
    })
}

/// Takes the account data of a `/sync` response into `state`: the push rules and the ignored
/// users, as sent (a sync brings the whole content of each type that changed). Returns the new
/// rules when they changed, and whether some of them did not parse (and were left out); a
/// `next_batch` is not taken (the caller decides where it goes). Account data of the wrong shape
/// is an error: a push must not be judged on half of it.
pub fn apply_account_data(
    state: &mut AccountState,
    sync: &Value,
) -> Result<Option<(PushRules, bool)>, SyncError> {
    let malformed = |what| SyncError::Session(SessionError::MalformedResponse(what));
    let events = match sync.pointer("/account_data/events") {
        None => return Ok(None),
        Some(events) => events
            .as_array()
            .ok_or_else(|| malformed("account data events as a list"))?,
    };
    let mut changed = None;
    for event in events {
        let content = event.get("content");
        match event.get("type").and_then(Value::as_str) {
            Some("m.push_rules") => {
                let content = content.ok_or_else(|| malformed("the push rules' content"))?;
                let (rules, dropped) = PushRules::from_value_lenient(content)?;
                for error in &dropped {
                    tracing::warn!("a push rule the server sent is left out: {error}");
                }
                state.push_rules = Some(RawJson::from_value(content));
                changed = Some((rules, !dropped.is_empty()));
            }
            Some("m.ignored_user_list") => {
                let users = content
                    .and_then(|c| c.get("ignored_users"))
                    .and_then(Value::as_object)
                    .ok_or_else(|| malformed("the ignored users as an object"))?;
                state.ignored_users = users.keys().cloned().collect();
            }
            _ => {}
        }
    }
    Ok(changed)
}

/// Fetches the whole ruleset (`GET /pushrules/`) and stores it — unless another process
/// stored a newer account state meanwhile (then that one stays; pushes bring either up to date).
pub async fn fetch_push_rules(client: &SessionClient, store: &StateStore) -> Result<PushRules, SyncError> {
    let read = store.account().unwrap_or_default();
    let url = client.url("pushrules/");
    let request = Request::new(Method::Get, url).max_body(crate::http::RULES_MAX_BODY);
    let body = client.send_request(request).await?;
    let rules = PushRules::from_value(&body)?;
    // Fetched after `read` was stored, so as new as its position at least.
    let fetched = AccountState {
        push_rules: Some(RawJson::from_value(&rules.to_value())),
        ..read.clone()
    };
    store.replace_account(read.generation, fetched).await?;
    Ok(rules)
}

/// One `/sync` round from the stored position (from scratch when there is none): waits up to
/// `timeout` for a change; returns the new rules when they changed. The account state is
/// stored with the new position unless another process stored one meanwhile.
pub async fn sync_once(
    client: &SessionClient,
    store: &StateStore,
    timeout: Duration,
) -> Result<Option<PushRules>, SyncError> {
    sync_account(client, store, timeout, false).await
}

/// [`sync_once`], or with `from_scratch` a sync without a position: the whole account data.
async fn sync_account(
    client: &SessionClient,
    store: &StateStore,
    timeout: Duration,
    from_scratch: bool,
) -> Result<Option<PushRules>, SyncError> {
    let read = store.account().unwrap_or_default();
    // On the app's own session a round from the position is a poll from scratch (see
    // `SessionClient::may_sync_incrementally`).
    let polled = !from_scratch && !client.may_sync_incrementally();
    let from_scratch = from_scratch || polled;
    let since = read.since.as_ref().filter(|_| !from_scratch);
    let mut url = client.sync_url();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("filter", &push_rules_filter().to_string());
        query.append_pair("timeout", &timeout.as_millis().to_string());
        if let Some(since) = since {
            query.append_pair("since", since);
        }
    }
    let request_timeout = timeout + client.transport().config().request_timeout;
    let request = Request::new(Method::Get, url)
        .timeout(request_timeout)
        .max_body(crate::http::SYNC_MAX_BODY);
    let body = client.send_request(request).await?;
    // Before the position is stored: the next sync from it acknowledges its to-device messages.
    client.observe_sync(&body).await?;
    let next_batch = body
        .get("next_batch")
        .and_then(Value::as_str)
        .ok_or(SessionError::MalformedResponse("next_batch"))?;
    let mut state = match from_scratch {
        true => read.emptied(),
        false => read.clone(),
    };
    let rules = apply_account_data(&mut state, &body)?.map(|(rules, _)| rules);
    // A poll brings the whole ruleset every time: new only when it differs.
    let rules = rules.filter(|_| !polled || state.push_rules != read.push_rules);
    state.since = Some(next_batch.to_owned());
    store.replace_account(read.generation, state).await?;
    client.settle_sync(SETTLE_TIME).await;
    Ok(rules)
}

/// How long a rules sync waits for the requests its answer asked for (built-in encryption's).
const SETTLE_TIME: Duration = Duration::from_secs(10);

/// Keeps the rules in sync until the returned future is dropped: one sync from scratch (which
/// brings the whole ruleset), then long-polls, calling `on_change` with every new ruleset (the
/// first included). Network errors back off (1 s doubling to 60 s) and go on; a signed-out
/// session ends the loop.
pub async fn run_push_rules_sync(
    client: &SessionClient,
    store: &StateStore,
    poll_timeout: Duration,
    mut on_change: impl FnMut(&PushRules),
) -> SyncError {
    let mut backoff = Duration::from_secs(1);
    let mut fetched = false;
    loop {
        let round = match (fetched, client.may_sync_incrementally()) {
            (true, true) => sync_account(client, store, poll_timeout, false).await,
            // On the app's own session there is no long-poll (it would acknowledge the app's
            // to-device messages): a sync from scratch every `poll_timeout`.
            (true, false) => {
                tokio::time::sleep(poll_timeout).await;
                sync_account(client, store, Duration::ZERO, false).await
            }
            (false, _) => sync_account(client, store, Duration::ZERO, true).await,
        };
        match round {
            Ok(changed) => {
                fetched = true;
                backoff = Duration::from_secs(1);
                if let Some(rules) = changed {
                    on_change(&rules);
                }
            }
            Err(SyncError::Session(
                e @ (SessionError::LoggedOut | SessionError::SoftLoggedOut | SessionError::NotSignedIn),
            )) => {
                return SyncError::Session(e);
            }
            Err(e) => {
                tracing::warn!(?backoff, "push-rule sync failed, retrying: {e}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}
