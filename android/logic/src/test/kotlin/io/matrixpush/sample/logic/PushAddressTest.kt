package io.matrixpush.sample.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

class PushAddressTest {
    @Test
    fun `each kind has its own app id`() {
        assertEquals(
            listOf("io.matrixpush.sample.android", "io.matrixpush.sample.android.fid", "io.matrixpush.sample.android.up"),
            PushKind.entries.map { it.appId(PushConfig.BASE_APP_ID) },
        )
    }

    @Test
    fun `an address survives its stored form, and a damaged one reads as none`() {
        val address = PushAddress(PushKind.UNIFIED_PUSH, "https://up.example.org/a?b=\"c\"", "https://gw.example.org/_matrix/push/v1/notify")
        assertEquals(address, PushAddress.decode(address.encode()))
        assertNull(PushAddress.decode(null))
        assertNull(PushAddress.decode("{\"kind\":\"CARRIER_PIGEON\",\"pushkey\":\"x\",\"gateway\":\"y\"}"))
        assertNull(PushAddress.decode("not json"))
    }

    @Test
    fun `pushkeys stay out of logs`() {
        val address = PushAddress(PushKind.FCM_TOKEN, "dQw4w9WgXcQ:APA91bHsecretsecretsecret", "https://gw/_matrix/push/v1/notify")
        assertFalse("secretsecret" in address.toString(), address.toString())
        assertFalse("secretsecret" in RegisteredPusher("app", address.pushkey).toString())
    }
}
