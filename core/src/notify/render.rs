//! The text a notification shows for an event: every message type, emotes, media, calls,
//! stickers and polls; reply fallbacks removed; HTML never shown raw.

use crate::ids::UserId;
use serde_json::Value;

/// What kind of notification an event makes. New kinds may be added in minor versions.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum NotificationKind {
    /// A message; `msgtype` as sent (`m.text`, `m.image`, …).
    Message {
        /// The message type as sent.
        msgtype: String,
    },
    /// An invite to the room, from `inviter`.
    Invite {
        /// The user id of who sent the invite.
        inviter: UserId,
    },
    /// A call ringing (`m.call.invite`, `m.call.notify`, `m.rtc.notification`).
    Call {
        /// Whether the call is a video call (else voice).
        video: bool,
    },
    /// An encrypted event that could not be decrypted here.
    Encrypted,
    /// Any other event a rule chose to notify for.
    Other {
        /// The event's type (`m.reaction`, `org.example.custom`, …).
        event_type: String,
    },
}

/// The kind and body text of an event, with `sender_name` for emotes ("* Alice waves").
pub fn describe(event: &Value, sender_name: &str) -> (NotificationKind, String) {
    let event_type = event.get("type").and_then(Value::as_str).unwrap_or_default();
    let content = event.get("content").unwrap_or(&Value::Null);
    let text = |key: &str| content.get(key).and_then(Value::as_str).unwrap_or_default();
    match event_type {
        "m.room.message" => {
            let msgtype = text("msgtype").to_owned();
            let body = message_body(content);
            let caption = caption(content);
            let shown = match msgtype.as_str() {
                "m.emote" => format!("* {sender_name} {body}"),
                "m.image" => with_caption("📷 Image", caption),
                "m.video" => with_caption("🎥 Video", caption),
                "m.audio" if content.get("org.matrix.msc3245.voice").is_some() => {
                    "🎤 Voice message".to_owned()
                }
                "m.audio" => with_caption("🔊 Audio", caption),
                "m.file" => {
                    let name = content.get("filename").and_then(Value::as_str).unwrap_or(&body);
                    with_caption(&format!("📎 {name}"), caption)
                }
                "m.location" => "📍 Location".to_owned(),
                _ => body,
            };
            (NotificationKind::Message { msgtype }, shown)
        }
        "m.sticker" => (
            NotificationKind::Message {
                msgtype: "m.sticker".into(),
            },
            format!("Sticker: {}", text("body")),
        ),
        "m.room.encrypted" => (NotificationKind::Encrypted, "Encrypted message".into()),
        "m.call.invite" => {
            let sdp = content
                .pointer("/offer/sdp")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let video = sdp.contains("m=video");
            let label = if video {
                "Incoming video call"
            } else {
                "Incoming call"
            };
            (NotificationKind::Call { video }, label.into())
        }
        "m.call.notify"
        | "org.matrix.msc4075.call.notify"
        | "m.rtc.notification"
        | "org.matrix.msc4075.rtc.notification" => {
            let video = text("application") == "m.call" && text("call_intent") == "video";
            (NotificationKind::Call { video }, "Call started".into())
        }
        "m.poll.start" | "org.matrix.msc3381.poll.start" => {
            let question = content
                .pointer("/org.matrix.msc3381.poll.start/question/org.matrix.msc1767.text")
                .or_else(|| content.pointer("/m.poll/question/m.text/0/body"))
                .and_then(Value::as_str)
                .unwrap_or("a poll");
            (
                NotificationKind::Other {
                    event_type: event_type.into(),
                },
                format!("📊 {question}"),
            )
        }
        "m.room.tombstone" => (
            NotificationKind::Other {
                event_type: event_type.into(),
            },
            "This room has been replaced".into(),
        ),
        _ => (
            NotificationKind::Other {
                event_type: event_type.into(),
            },
            "New event".into(),
        ),
    }
}

/// A media caption (MSC2530): the body, when a separate filename is given and differs.
fn caption(content: &Value) -> Option<String> {
    let filename = content.get("filename").and_then(Value::as_str)?;
    let body = content.get("body").and_then(Value::as_str)?;
    (body != filename && !body.is_empty()).then(|| strip_reply_fallback(body))
}

fn with_caption(label: &str, caption: Option<String>) -> String {
    match caption {
        Some(caption) => format!("{label}: {caption}"),
        None => label.to_owned(),
    }
}

/// The plain text of a message: `body` without a reply fallback, or the HTML as text.
fn message_body(content: &Value) -> String {
    match content.get("body").and_then(Value::as_str) {
        Some(body) => strip_reply_fallback(body),
        None => content
            .get("formatted_body")
            .and_then(Value::as_str)
            .map(html_to_text)
            .unwrap_or_default(),
    }
}

/// Removes the `> <@alice:x> quoted` lines a reply starts with (and the blank line after them).
pub fn strip_reply_fallback(body: &str) -> String {
    if !body.starts_with("> ") {
        return body.to_owned();
    }
    let mut lines = body.lines().peekable();
    while lines.peek().is_some_and(|line| line.starts_with('>')) {
        lines.next();
    }
    if lines.peek().is_some_and(|line| line.is_empty()) {
        lines.next();
    }
    let rest: Vec<&str> = lines.collect();
    if rest.is_empty() {
        body.to_owned()
    } else {
        rest.join("\n")
    }
}

/// HTML to plain text: tags removed (an `mx-reply` block with its content), entities decoded.
pub fn html_to_text(html: &str) -> String {
    let html = match (html.find("<mx-reply>"), html.find("</mx-reply>")) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{}", &html[..start], &html[end + "</mx-reply>".len()..])
        }
        _ => html.to_owned(),
    };
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if matches!(name.as_str(), "br" | "br/" | "p" | "div" | "li")
                    && !text.ends_with('\n')
                    && !text.is_empty()
                {
                    text.push('\n');
                }
            }
            _ if in_tag => tag.push(c),
            _ => text.push(c),
        }
    }
    decode_entities(text.trim())
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(content: Value) -> String {
        describe(&json!({"type": "m.room.message", "content": content}), "Alice").1
    }

    #[test]
    fn message_types() {
        assert_eq!(body(json!({"msgtype": "m.text", "body": "hello"})), "hello");
        assert_eq!(
            body(json!({"msgtype": "m.emote", "body": "waves"})),
            "* Alice waves"
        );
        assert_eq!(
            body(json!({"msgtype": "m.notice", "body": "build ok"})),
            "build ok"
        );
        assert_eq!(
            body(json!({"msgtype": "m.image", "body": "cat.jpg", "url": "mxc://x/y"})),
            "📷 Image"
        );
        assert_eq!(
            body(json!({"msgtype": "m.image", "body": "look at this", "filename": "cat.jpg"})),
            "📷 Image: look at this"
        );
        assert_eq!(
            body(json!({"msgtype": "m.file", "body": "report.pdf"})),
            "📎 report.pdf"
        );
        assert_eq!(
            body(json!({"msgtype": "m.audio", "body": "a.ogg", "org.matrix.msc3245.voice": {}})),
            "🎤 Voice message"
        );
        assert_eq!(
            body(json!({"msgtype": "m.location", "body": "geo:1,2"})),
            "📍 Location"
        );
        assert_eq!(body(json!({"msgtype": "m.video", "body": "v.mp4"})), "🎥 Video");
        assert_eq!(
            body(json!({"msgtype": "org.custom", "body": "custom text"})),
            "custom text"
        );
    }

    #[test]
    fn replies_lose_their_fallback_and_html_is_never_raw() {
        let reply = "> <@bob:x> original\n> more\n\nmy answer";
        assert_eq!(body(json!({"msgtype": "m.text", "body": reply})), "my answer");
        assert_eq!(
            body(json!({"msgtype": "m.text", "body": "> just a quote"})),
            "> just a quote"
        );
        assert_eq!(
            body(
                json!({"msgtype": "m.text", "formatted_body": "<mx-reply><blockquote>x</blockquote></mx-reply><b>bold</b> &amp; <i>it</i>"})
            ),
            "bold & it"
        );
        assert_eq!(html_to_text("a<br>b<p>c</p>"), "a\nb\nc");
    }

    #[test]
    fn calls_and_others() {
        let video =
            json!({"type": "m.call.invite", "content": {"offer": {"sdp": "v=0\r\nm=audio\r\nm=video 9"}}});
        assert_eq!(
            describe(&video, "A"),
            (
                NotificationKind::Call { video: true },
                "Incoming video call".into()
            )
        );
        let audio = json!({"type": "m.call.invite", "content": {"offer": {"sdp": "v=0\r\nm=audio 9"}}});
        assert_eq!(describe(&audio, "A").1, "Incoming call");
        let encrypted = json!({"type": "m.room.encrypted", "content": {"ciphertext": "x"}});
        assert_eq!(
            describe(&encrypted, "A"),
            (NotificationKind::Encrypted, "Encrypted message".into())
        );
        assert_eq!(
            describe(&json!({"type": "m.rtc.notification", "content": {}}), "A").1,
            "Call started"
        );
    }
}
