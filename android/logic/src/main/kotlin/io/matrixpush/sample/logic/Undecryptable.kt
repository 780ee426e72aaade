package io.matrixpush.sample.logic

import io.matrixpush.core.UndecryptableReason

/**
 * The short line shown under "Encrypted message" (the notification's sub-text), telling the user
 * what would make the message readable; null when there is nothing useful to say. Only the
 * reasons the user can act on (or should know about) get a line: a notification is no error log,
 * the full reason is in the library's log.
 */
fun undecryptableHint(reason: UndecryptableReason?): String? = when (reason) {
    // The sender shares keys only with verified devices: recovery cross-signs this one.
    is UndecryptableReason.MissingRoomKey -> when (reason.withheldCode) {
        null -> "Key not here yet — Settings › Recover reads it from backup"
        "m.unverified" -> "Verify this device to read it — Settings › Recover"
        // m.blacklisted, m.unauthorised, m.no_olm: the sender decided; recovery does not help.
        else -> "The sender did not share the key with this device"
    }
    // The key this device has starts later: the backup may hold the earlier part.
    is UndecryptableReason.UnknownMessageIndex -> "Sent before this device had the key — Settings › Recover"
    is UndecryptableReason.UntrustedSender -> "The sender's device is not trusted"
    is UndecryptableReason.OutOfTime -> "Not decrypted in time — open the app to read it"
    is UndecryptableReason.Malformed -> "The message is damaged"
    // Encryption is off in this build: nothing the user can do here.
    is UndecryptableReason.NoDecryption, null -> null
    // Unavailable and AppDecryptorFailed: neither is the user's to fix, and the store error's
    // wording is not for them. A reason a newer library adds lands here too (the enum may grow):
    // a generic line is right for it until it gets its own.
    else -> "Could not be decrypted now"
}
