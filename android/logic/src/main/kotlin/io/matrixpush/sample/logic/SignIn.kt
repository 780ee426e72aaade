package io.matrixpush.sample.logic

import io.matrixpush.Client
import io.matrixpush.core.LoginIdentifier
import io.matrixpush.MatrixPushException
import io.matrixpush.SessionInfo
import io.matrixpush.discoverHomeserver

sealed interface SignInResult {
    /** Signed in: the caller owns [client] (keep it for the app's lifetime, close it on sign-out). */
    class SignedIn(val client: Client, val session: SessionInfo, val homeserverUrl: String) : SignInResult

    data class Failed(val message: String) : SignInResult
}

/**
 * Sign-in with a password: finds the homeserver (from the user id, or the server the user typed),
 * makes its client and logs in.
 *
 * @param newClient makes the client for a homeserver URL (the app passes its store folder, its
 *   Keystore-backed session store and the device name). The URL must be saved by the app: the
 *   client needs it again to restore the session on the next start.
 */
class SignIn(
    private val newClient: (homeserverUrl: String) -> Client,
    private val discover: suspend (userOrServer: String) -> String = { discoverHomeserver(it) },
) {
    /**
     * @param user `@alice:example.org`, or `alice` with [server]
     * @param server a server name or URL; blank: the one in [user]
     */
    suspend fun signIn(user: String, password: String, server: String = ""): SignInResult {
        val userInput = user.trim()
        if (userInput.isEmpty() || password.isEmpty()) return SignInResult.Failed("Enter a user name and a password.")
        val where = server.trim().ifEmpty { userInput }
        if (!where.startsWith("@") && server.isBlank()) {
            return SignInResult.Failed("Enter a full user id (@name:server) or the server.")
        }
        val homeserverUrl = try {
            discover(where)
        } catch (e: MatrixPushException) {
            return SignInResult.Failed(userMessage(e))
        }
        val client = try {
            newClient(homeserverUrl)
        } catch (e: MatrixPushException) {
            return SignInResult.Failed(userMessage(e))
        }
        return try {
            val session = client.loginPassword(LoginIdentifier.User(userInput), password)
            SignInResult.SignedIn(client, session, homeserverUrl)
        } catch (e: MatrixPushException) {
            client.close()
            SignInResult.Failed(userMessage(e))
        }
    }
}
