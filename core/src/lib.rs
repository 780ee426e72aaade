//! matrix-push: complete, fast and trustworthy Matrix push notifications for mobile apps.
//!
//! Modules follow the data flow of the repository's `ARCHITECTURE.md`; each knows only the ones
//! above it:
//! 1. [`rules`] — the push-rule model, server defaults, compiled evaluator and explanations.
//! 2. [`payload`] — decode what the phone receives (FCM v1, FCM legacy, APNs, UnifiedPush, Push
//!    Gateway JSON) into one `PushPayload`. Pure, no I/O, never panics.
//! 3. [`http`] — the client-server transport: typed errors, timeouts, safe retries.
//! 4. [`store`] — the on-disk state and the cross-process lock the app and its extension share.
//!    (It comes before `session` here, because refreshing a session takes that lock.)
//! 5. [`session`] — discovery, sign-in, saved sessions and token refresh.
//! 6. [`pushers`] — setting, checking and rotating the device's pusher.
//! 7. [`sync`] — push-rule sync; [`settings`] — editing the rules (keywords, room modes, …).
//! 8. [`notify`] — a push in, a notification (or a reason not to show one) out;
//!    [`actions`] — what a notification's buttons do (mark read, accept or decline an invite);
//!    [`media`] — avatars: thumbnails, cached, within a deadline.
//!
//! [`urls`] builds the API's URLs for all of them, [`ids`] checks identifiers where they come
//! in and [`decryption`] says why an event stayed encrypted (all three pure). [`Client`] ties them together; [`secret::Secret`] keeps tokens and passwords
//! out of logs. The project's local push gateway (for the command line, the demo and the
//! end-to-end suites) is the crate `matrix-push-gateway`, and the `matrix-push` command line the
//! crate `matrix-push-cli`: neither ships in the mobile library.

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("matrix_push_core");

pub mod actions;
pub mod client;
#[cfg(feature = "e2ee")]
pub mod crypto;
pub mod decryption;
pub mod http;
pub mod ids;
pub mod media;
pub mod notify;
pub mod payload;
pub mod pushers;
pub mod rules;
pub mod secret;
pub mod session;
pub mod settings;
pub mod store;
pub mod sync;
pub mod urls;

pub use client::{BuildError, Client, ClientBuilder, RestoreError};
