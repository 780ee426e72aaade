package io.matrixpush.sample.push

import android.content.Context
import android.util.Log
import com.google.firebase.messaging.FirebaseMessaging
import io.matrixpush.sample.AppStorage
import io.matrixpush.sample.BuildConfig
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.PushAddress
import io.matrixpush.sample.logic.PushKind
import io.matrixpush.sample.logic.Transport
import io.matrixpush.sample.logic.TransportChooser
import io.matrixpush.sample.logic.TransportOptions
import io.matrixpush.sample.logic.TransportPreference
import io.matrixpush.sample.work.PusherWorker
import kotlinx.coroutines.tasks.await
import org.unifiedpush.android.connector.UnifiedPush

/**
 * Which transport the device uses (FCM, else UnifiedPush, or the user's pick: TransportChooser in
 * logic) and registering with it. Registration hands out the push address: an FCM token here;
 * a FID through FcmService.onRegistered; a UnifiedPush endpoint through UnifiedPushService.onNewEndpoint.
 */
class PushTransports(private val context: Context) {
    private val settings = context.getSharedPreferences(AppStorage.SETTINGS_PREFS, Context.MODE_PRIVATE)

    var preference: TransportPreference
        get() = settings.getString(KEY_PREFERENCE, null)
            ?.let { runCatching { TransportPreference.valueOf(it) }.getOrNull() } ?: TransportPreference.AUTOMATIC
        set(value) {
            settings.edit().putString(KEY_PREFERENCE, value.name).apply()
        }

    fun options(): TransportOptions = TransportOptions(
        fcmAvailable = FirebaseSupport.isAvailable(context),
        fcmUsesInstallationId = BuildConfig.FCM_INSTALLATION_ID,
        distributors = UnifiedPush.getDistributors(context),
        savedDistributor = UnifiedPush.getSavedDistributor(context),
    )

    fun current(): Transport = TransportChooser.choose(preference, options())

    /** Picks [distributor] for UnifiedPush (the settings screen's list). */
    fun useDistributor(distributor: String) {
        UnifiedPush.saveDistributor(context, distributor)
        preference = TransportPreference.UNIFIED_PUSH
    }

    /**
     * On every start in the foreground, and after the user changed the transport: registers with
     * the chosen transport (leaving UnifiedPush when FCM is chosen), then queues PusherWorker to
     * bring the homeserver's pusher in step. Returns the transport, for the screen.
     */
    suspend fun register(): Transport {
        val transport = current()
        val accounts = (context.applicationContext as SampleApp).accounts
        when (transport) {
            is Transport.Fcm -> {
                if (UnifiedPush.getAckDistributor(context) != null) UnifiedPush.unregister(context)
                registerFcm(transport.kind)?.let(accounts::rememberAddress)
            }
            is Transport.UnifiedPush -> {
                UnifiedPush.saveDistributor(context, transport.distributor)
                // The endpoint arrives in UnifiedPushService.onNewEndpoint (again on every
                // register: UnifiedPush asks apps to register at each start).
                UnifiedPush.register(context, INSTANCE, null, null)
            }
            is Transport.None -> Log.w(TAG, transport.reason)
        }
        PusherWorker.enqueue(context)
        return transport
    }

    /** A token now; for FID registration null: the FID arrives in FcmService.onRegistered. */
    private suspend fun registerFcm(kind: PushKind): PushAddress? = try {
        when (kind) {
            PushKind.FCM_INSTALLATION -> {
                FirebaseMessaging.getInstance().register().await()
                null
            }
            else -> @Suppress("DEPRECATION") PushAddress(
                PushKind.FCM_TOKEN,
                FirebaseMessaging.getInstance().token.await(),
                BuildConfig.PUSH_GATEWAY_URL,
            )
        }
    } catch (e: Exception) {
        // No network, or Play services cannot register now; the next start tries again.
        Log.w(TAG, "FCM registration failed", e)
        null
    }

    companion object {
        /** The UnifiedPush instance: one per app here (an app may register several). */
        const val INSTANCE = "default"
        private const val KEY_PREFERENCE = "transport"
        private const val TAG = "PushTransports"
    }
}
