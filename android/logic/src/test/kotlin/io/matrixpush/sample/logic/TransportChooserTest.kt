package io.matrixpush.sample.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class TransportChooserTest {
    private fun options(fcm: Boolean, fid: Boolean = false, distributors: List<String> = emptyList(), saved: String? = null) =
        TransportOptions(fcm, fid, distributors, saved)

    @Test
    fun `automatic prefers FCM, then a UnifiedPush distributor, else says push is not configured`() {
        val auto = TransportPreference.AUTOMATIC
        assertEquals(Transport.Fcm(PushKind.FCM_TOKEN), TransportChooser.choose(auto, options(fcm = true, distributors = listOf("io.heckel.ntfy"))))
        assertEquals(Transport.Fcm(PushKind.FCM_INSTALLATION), TransportChooser.choose(auto, options(fcm = true, fid = true)))
        assertEquals(Transport.UnifiedPush("io.heckel.ntfy"), TransportChooser.choose(auto, options(fcm = false, distributors = listOf("io.heckel.ntfy"))))
        assertEquals(Transport.None(TransportChooser.NO_TRANSPORT), TransportChooser.choose(auto, options(fcm = false)))
    }

    @Test
    fun `the user's pick wins, and says why when it cannot be had`() {
        val both = options(fcm = true, distributors = listOf("a.dist", "b.dist"), saved = "b.dist")
        assertEquals(Transport.UnifiedPush("b.dist"), TransportChooser.choose(TransportPreference.UNIFIED_PUSH, both), "the saved distributor")
        assertEquals(Transport.Fcm(PushKind.FCM_TOKEN), TransportChooser.choose(TransportPreference.FCM, both))
        assertEquals(Transport.None(TransportChooser.NO_FCM), TransportChooser.choose(TransportPreference.FCM, options(fcm = false, distributors = listOf("a.dist"))))
        assertEquals(Transport.None(TransportChooser.NO_DISTRIBUTOR), TransportChooser.choose(TransportPreference.UNIFIED_PUSH, options(fcm = true)))
        val uninstalled = options(fcm = false, distributors = listOf("a.dist"), saved = "gone.dist")
        assertEquals(Transport.UnifiedPush("a.dist"), TransportChooser.choose(TransportPreference.UNIFIED_PUSH, uninstalled), "a saved distributor no longer installed is not used")
    }
}
