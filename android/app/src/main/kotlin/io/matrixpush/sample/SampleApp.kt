package io.matrixpush.sample

import android.app.Application
import io.matrixpush.LogLevel
import io.matrixpush.sample.logic.ReadReceiptSetting
import io.matrixpush.sample.push.PushTransports
import io.matrixpush.setLogger
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob

/**
 * Runs before any activity, push service or receiver: sets up logging and restores the saved
 * session — and nothing that talks to the network, because a push may have started the process
 * and has only seconds (the pusher and rules are checked by PusherWorker, queued when the app
 * comes to the foreground and when the push address changes).
 *
 * TLS needs no setup: the library speaks HTTPS through rustls with the Mozilla root certificates
 * bundled into it (webpki-roots), so there is no platform verifier to initialise and no
 * network-security config to add. (A homeserver with a private CA is therefore not trusted
 * through Android's user certificates.)
 */
class SampleApp : Application() {
    /**
     * Short work that outlives the component that started it — a notification button's request
     * (under goAsync), a new UnifiedPush endpoint's gateway discovery — cancelled only with the
     * process. Not pushes: those are resolved in PushWorker (expedited work), which keeps the
     * device awake for them.
     */
    val appScope = CoroutineScope(SupervisorJob() + Dispatchers.IO)

    lateinit var accounts: Accounts
        private set

    /** "Private read receipts" (the settings screen's switch), used by Mark as read. */
    val readReceipts by lazy { ReadReceiptSetting(PrefsKeyValueStore(this, AppStorage.SETTINGS_PREFS)) }

    lateinit var transports: PushTransports
        private set

    override fun onCreate() {
        super.onCreate()
        setLogger(LogcatLogger(), if (BuildConfig.DEBUG) LogLevel.DEBUG else LogLevel.INFO)
        accounts = Accounts(this)
        transports = PushTransports(this)
        // No request: reads the session from the Keystore-encrypted store, creates its channels.
        accounts.restore()
    }
}
