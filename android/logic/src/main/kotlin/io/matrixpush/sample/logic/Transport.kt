package io.matrixpush.sample.logic

/** What the user picked in the settings. */
enum class TransportPreference { AUTOMATIC, FCM, UNIFIED_PUSH }

/** What the device offers, as the app found it. */
data class TransportOptions(
    /** Firebase is configured (a real google-services.json) and Google Play services is installed. */
    val fcmAvailable: Boolean,
    /** The build registers Firebase Installation IDs (FID) rather than legacy tokens. */
    val fcmUsesInstallationId: Boolean,
    /** Installed UnifiedPush distributors (package names), as the connector lists them. */
    val distributors: List<String>,
    /** The distributor the connector remembers, when it still is installed. */
    val savedDistributor: String?,
)

/** The transport to register with. */
sealed interface Transport {
    data class Fcm(val kind: PushKind) : Transport

    /** UnifiedPush through [distributor]; its endpoint's gateway is found by gateway discovery. */
    data class UnifiedPush(val distributor: String) : Transport

    /** Nothing to receive pushes with: [reason] says why, for the screen. */
    data class None(val reason: String) : Transport
}

/**
 * Picks the transport: FCM when Google Play services is available (the best delivery on such
 * phones), else UnifiedPush when a distributor is installed (phones without Google services);
 * the user can ask for either. A UnifiedPush choice keeps the saved distributor, else takes
 * the only one installed; with several and none saved, the first (the screen lets the user pick).
 */
object TransportChooser {
    fun choose(preference: TransportPreference, options: TransportOptions): Transport {
        val fcm = Transport.Fcm(if (options.fcmUsesInstallationId) PushKind.FCM_INSTALLATION else PushKind.FCM_TOKEN)
        val distributor = options.savedDistributor?.takeIf { it in options.distributors } ?: options.distributors.firstOrNull()
        val unifiedPush = distributor?.let { Transport.UnifiedPush(it) }
        return when (preference) {
            TransportPreference.AUTOMATIC -> when {
                options.fcmAvailable -> fcm
                unifiedPush != null -> unifiedPush
                else -> Transport.None(NO_TRANSPORT)
            }
            TransportPreference.FCM -> if (options.fcmAvailable) fcm else Transport.None(NO_FCM)
            TransportPreference.UNIFIED_PUSH -> unifiedPush ?: Transport.None(NO_DISTRIBUTOR)
        }
    }

    const val NO_FCM = "Push not configured: Firebase is not set up in this build, or Google Play services is missing."
    const val NO_DISTRIBUTOR = "No UnifiedPush distributor is installed (for example ntfy)."
    const val NO_TRANSPORT = "Push not configured: no Firebase (or no Google Play services) and no UnifiedPush distributor."
}
