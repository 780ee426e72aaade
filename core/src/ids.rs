//! Matrix identifiers, checked once where they come in — from an app, a push payload, the
//! command line — so that what goes into URLs, rules and the store has the spec's shape.
//!
//! Small newtypes rather than ruma's identifiers: the checks needed at the boundary are the
//! sigil, the server name where the grammar has one, and the 255-byte limit (the appendix on
//! identifiers), and `ruma-common` would bring its whole event and serde machinery into the
//! mobile library for them. Room ids carry no server name from room version 12 on (MSC4291), so
//! only user ids are required to have one.
//!
//! Once checked, an id stays typed: a saved [`Session`](crate::session::Session)'s user, a
//! [`Notification`](crate::notify::Notification)'s event, room, sender and thread, the rooms an
//! outcome names, and the arguments of the [`Client`](crate::Client) methods that address a room,
//! an event or a user (`mark_read`, `accept_invite`, `set_room_mode`, `mute_sender`, …) — so the
//! text an app or a command line gives is checked where it crosses, once, and a method never
//! fails for an id's shape. Ids read back from the store or a server's answer are checked as serde reads
//! them (a saved session with a user id that is not one reads as damaged, like any other damage).
//! The record types that only mirror a server's answer (the cached `RoomInfo`'s members and
//! heroes, push-rule conditions) keep text: they are data, not addresses.

use std::fmt;

/// The longest identifier the spec allows, in bytes.
pub const MAX_ID_BYTES: usize = 255;

/// Why a string is not the identifier it should be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{id:?} is not a {kind}: {reason}")]
pub struct IdError {
    /// `user id`, `room id` or `event id`.
    pub kind: &'static str,
    /// The text that was given.
    pub id: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

macro_rules! identifier {
    ($name:ident, $kind:literal, $sigil:literal, $check:expr) => {
        #[doc = concat!("A ", $kind, " (`", $sigil, "…`), checked by [`", stringify!($name), "::parse`]. ")]
        #[doc = concat!("It reads as text (`Deref<Target = str>`); serde checks it as it reads it, and Kotlin and ")]
        #[doc = concat!("Swift see a `String`.")]
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(id: String) -> Result<$name, IdError> {
                $name::parse(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        // Kotlin and Swift see the text; an id coming from them is checked as it crosses.
        #[cfg(feature = "uniffi")]
        uniffi::custom_type!($name, String, {
            lower: |id| id.0,
            try_lift: |text| Ok($name::parse(text)?),
        });

        impl $name {
            #[doc = concat!("Checks `id` as a ", $kind, ".")]
            pub fn parse(id: impl Into<String>) -> Result<$name, IdError> {
                let id = id.into();
                let fail = |reason| IdError {
                    kind: $kind,
                    id: id.clone(),
                    reason,
                };
                if !id.starts_with($sigil) {
                    return Err(fail(concat!("it does not start with '", $sigil, "'")));
                }
                if id.len() > MAX_ID_BYTES {
                    return Err(fail("it is longer than 255 bytes"));
                }
                if id.len() == 1 || id.chars().any(char::is_control) {
                    return Err(fail("it is empty or holds control characters"));
                }
                let check: fn(&str) -> Result<(), &'static str> = $check;
                check(&id).map_err(fail)?;
                Ok($name(id))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

identifier!(UserId, "user id", "@", |id| match id.split_once(':') {
    Some((local, server)) if local.len() > 1 && !server.is_empty() => Ok(()),
    _ => Err("it has no localpart and server name (@name:server)"),
});
identifier!(RoomId, "room id", "!", |_| Ok(()));
identifier!(EventId, "event id", "$", |_| Ok(()));

impl UserId {
    /// The server name: what follows the first `:` (`example.org:8448`).
    pub fn server_name(&self) -> &str {
        server_name(&self.0).unwrap_or_default()
    }
}

/// The server name of a user id (`@alice:example.org` → `example.org`, a port kept); `None` when
/// `user_id` is not `@localpart:server`. The one place that reads it, for text not yet checked.
///
/// ```
/// use matrix_push::ids::server_name;
/// assert_eq!(server_name("@alice:example.org"), Some("example.org"));
/// assert_eq!(server_name("@bob:localhost:8008"), Some("localhost:8008"));
/// assert_eq!(server_name("alice"), None);
/// assert_eq!(server_name("@alice:"), None);
/// ```
pub fn server_name(user_id: &str) -> Option<&str> {
    let (_, server) = user_id.strip_prefix('@')?.split_once(':')?;
    (!server.is_empty()).then_some(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_checked_once() {
        let alice = UserId::parse("@alice:example.org:8448").unwrap();
        assert_eq!(
            (alice.as_str(), alice.server_name()),
            ("@alice:example.org:8448", "example.org:8448")
        );
        for bad in ["alice:example.org", "@alice", "@:example.org", "@alice:", "@", ""] {
            assert!(UserId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(RoomId::parse("!opaque:example.org").is_ok());
        assert!(
            RoomId::parse("!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM").is_ok(),
            "room v12: no server"
        );
        for bad in ["#alias:example.org", "!", "room", "!a\nb"] {
            assert!(RoomId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EventId::parse("$e1").is_ok() && EventId::parse("e1").is_err());
        let long = format!("${}", "x".repeat(MAX_ID_BYTES));
        let error = EventId::parse(long).unwrap_err();
        assert_eq!(
            (error.kind, error.reason),
            ("event id", "it is longer than 255 bytes")
        );
    }

    #[test]
    fn serde_checks_identifiers_as_it_reads_them() {
        let alice: UserId = serde_json::from_str(r#""@alice:x""#).unwrap();
        assert_eq!(serde_json::to_string(&alice).unwrap(), r#""@alice:x""#);
        assert_eq!(alice, "@alice:x");
        assert!(serde_json::from_str::<UserId>(r#""alice""#).is_err());
        assert!(serde_json::from_str::<RoomId>(r##""#alias:x""##).is_err());
        assert!(serde_json::from_str::<Vec<EventId>>(r#"["$a", "b"]"#).is_err());
    }
}
