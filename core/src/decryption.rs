//! Why an encrypted event could not be decrypted for its notification: shown with the generic
//! "Encrypted message" so an app (and its user) can tell a key that never came from a key the
//! sender withheld on purpose; and what recovering the account's encryption set up. Pure data:
//! the built-in encryption and the notifier fill it in.

/// Why a notification's event stayed encrypted. New reasons may be added in minor versions.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum UndecryptableReason {
    /// Neither built-in encryption nor an app's decryptor is set up.
    NoDecryption,
    /// This device does not have the room key. `withheld_code` is the sender's reason when it
    /// said it would not share it (`m.unverified`: the sender shares only with devices their
    /// owner verified — recovering the account cross-signs this one; `m.blacklisted`,
    /// `m.unauthorised`, `m.no_olm`). Without a code the key may still arrive, or be in the
    /// server-side key backup once the account is recovered.
    MissingRoomKey {
        /// The code the sender gave for withholding the key; `None` when it gave none.
        withheld_code: Option<String>,
    },
    /// The device has the room key, but only from a later message on.
    UnknownMessageIndex,
    /// The sender's device or identity is not trusted enough to show what it sent.
    UntrustedSender,
    /// The ciphertext or what it decrypted to is malformed.
    Malformed,
    /// The app's decryptor gave nothing back (its reason is its own).
    AppDecryptorFailed,
    /// Decrypting did not finish within the push's deadline.
    OutOfTime,
    /// The crypto store or the server could not be used.
    Unavailable {
        /// What failed, for logs (never shown to the user as is).
        message: String,
    },
}

impl std::fmt::Display for UndecryptableReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UndecryptableReason::NoDecryption => f.write_str("no decryption is set up"),
            UndecryptableReason::MissingRoomKey {
                withheld_code: Some(code),
            } => write!(f, "the sender withheld the room key ({code})"),
            UndecryptableReason::MissingRoomKey { withheld_code: None } => {
                f.write_str("the room key has not reached this device")
            }
            UndecryptableReason::UnknownMessageIndex => {
                f.write_str("the room key known here starts after this message")
            }
            UndecryptableReason::UntrustedSender => f.write_str("the sender is not trusted"),
            UndecryptableReason::Malformed => f.write_str("the encrypted event is malformed"),
            UndecryptableReason::AppDecryptorFailed => f.write_str("the app's decryptor gave nothing"),
            UndecryptableReason::OutOfTime => f.write_str("decrypting ran out of the push's time"),
            UndecryptableReason::Unavailable { message } => write!(f, "decryption unavailable: {message}"),
        }
    }
}

impl UndecryptableReason {
    /// Whether the key may be in the server-side key backup: it did not come by to-device.
    pub fn key_may_be_in_backup(&self) -> bool {
        matches!(
            self,
            UndecryptableReason::MissingRoomKey { .. } | UndecryptableReason::UnknownMessageIndex
        )
    }
}

/// What recovering the account's encryption with the recovery key set up on this device.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Recovery {
    /// The account's cross-signing keys were imported and this device is signed with them:
    /// senders that share only with devices their owner verified (MSC4153) share with it.
    pub cross_signed: bool,
    /// The server-side key backup this device now reads missing room keys from (and backs its
    /// own up to); `None` when the account has none, or secret storage does not hold its key.
    pub backup_version: Option<String>,
}
