//! What an app does from a notification: mark a room read up to an event, accept an invite,
//! decline it. One request each.
//!
//! Marking read sets the read receipt and the fully-read marker together
//! (`POST /rooms/{id}/read_markers`), so the server's unread counts drop (and with them the
//! badge on every device) and other clients place their read marker there too. The receipt is
//! `m.read.private` when the user does not share read receipts: the counts drop all the same,
//! and nobody else sees it.

use crate::http::{Method, Request};
use crate::ids::{EventId, RoomId};
use crate::session::{SessionClient, SessionError};
use serde_json::json;

/// Why an action failed. (Its ids were checked before it started: they come typed.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// A request failed, or there is no session.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Whether others may see where the user has read up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ReceiptVisibility {
    /// `m.read`: other members see it.
    #[default]
    Public,
    /// `m.read.private`: only the user's own devices see it.
    Private,
}

/// Marks `room` read up to `event` (read receipt and fully-read marker).
pub async fn mark_read(
    client: &SessionClient,
    room: &RoomId,
    event: &EventId,
    visibility: ReceiptVisibility,
) -> Result<(), ActionError> {
    let receipt = match visibility {
        ReceiptVisibility::Public => "m.read",
        ReceiptVisibility::Private => "m.read.private",
    };
    let url = client.url_of(&["rooms", room.as_str(), "read_markers"]);
    let body = json!({"m.fully_read": event.as_str(), receipt: event.as_str()});
    // Setting markers twice is harmless: safe to retry.
    let request = Request::new(Method::Post, url).json(body).idempotent(true);
    client.send_request(request).await?;
    Ok(())
}

/// Accepts an invite: joins the room.
pub async fn accept_invite(client: &SessionClient, room: &RoomId) -> Result<(), ActionError> {
    change_membership(client, room, "join").await
}

/// Declines an invite: leaves the room (the inviter sees the invite rejected).
pub async fn decline_invite(client: &SessionClient, room: &RoomId) -> Result<(), ActionError> {
    change_membership(client, room, "leave").await
}

/// `POST /rooms/{id}/join` or `…/leave`.
async fn change_membership(client: &SessionClient, room: &RoomId, verb: &str) -> Result<(), ActionError> {
    let url = client.url_of(&["rooms", room.as_str(), verb]);
    // Joining or leaving twice is harmless: safe to retry.
    let request = Request::new(Method::Post, url).json(json!({})).idempotent(true);
    client.send_request(request).await?;
    Ok(())
}
