package io.matrixpush.sample.logic

import io.matrixpush.MatrixPushException

/** A sentence for the user about a failed call. */
fun userMessage(error: Throwable): String = when (error) {
    is MatrixPushException.Matrix -> when (error.errcode) {
        "M_FORBIDDEN" -> "Wrong user name or password."
        "M_USER_DEACTIVATED" -> "This account has been deactivated."
        "M_LIMIT_EXCEEDED" -> error.retryAfterMs
            ?.let { "Too many attempts: try again in ${(it.toLong() + 999) / 1000} s." }
            ?: "Too many attempts: try again later."
        "M_NOT_FOUND" -> "Not found on the server."
        else -> "The server refused: ${error.errcode} ${error.detail}".trim()
    }
    is MatrixPushException.Network -> "Cannot reach the server. Check the connection."
    is MatrixPushException.Timeout -> "The server took too long to answer."
    is MatrixPushException.NotAMatrixServer -> "That is not a Matrix homeserver."
    is MatrixPushException.NotSignedIn, is MatrixPushException.LoggedOut -> "You are signed out. Sign in again."
    is MatrixPushException.SoftLoggedOut -> "Your session expired. Sign in again."
    is MatrixPushException.InvalidInput -> "Not valid: ${error.detail}"
    is MatrixPushException.InvalidPayload -> "Unusable push: ${error.detail}"
    is MatrixPushException.Storage -> "Could not save on this device: ${error.detail}"
    is MatrixPushException.UnexpectedResponse -> "Unexpected answer from the server: ${error.detail}"
    // The detail says which: a wrong key, or an account whose recovery was never set up.
    is MatrixPushException.RecoveryKeyRejected -> "Not recovered: ${error.detail}."
    else -> error.message ?: error.toString()
}
