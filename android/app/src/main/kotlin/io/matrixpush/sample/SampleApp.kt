package io.matrixpush.sample

import android.app.Application
import io.matrixpush.LogLevel
import io.matrixpush.sample.push.Notifier
import io.matrixpush.setLogger
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch

/**
 * Runs before any activity or the FCM service: sets up logging and the notification channels,
 * restores the saved session, and re-checks the pusher on every start.
 *
 * TLS needs no setup: the library speaks HTTPS through rustls with the Mozilla root certificates
 * bundled into it (webpki-roots), so there is no platform verifier to initialise and no
 * network-security config to add. (A homeserver with a private CA is therefore not trusted
 * through Android's user certificates.)
 */
class SampleApp : Application() {
    /** Work that outlives a screen (pusher checks); cancelled only with the process. */
    val appScope = CoroutineScope(SupervisorJob() + Dispatchers.IO)

    lateinit var accounts: Accounts
        private set

    override fun onCreate() {
        super.onCreate()
        setLogger(LogcatLogger(), if (BuildConfig.DEBUG) LogLevel.DEBUG else LogLevel.INFO)
        Notifier(this).createChannels()
        accounts = Accounts(this)
        // No request: reads the session from the Keystore-encrypted store.
        accounts.restore()
        // Every start: set the pusher again if the server dropped it, move it to a new FCM token
        // if one was missed, and refresh the push rules the push path evaluates with.
        appScope.launch { accounts.checkPusher() }
    }
}
