package io.matrixpush.sample.push

import android.graphics.Bitmap
import android.graphics.Color
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import java.io.ByteArrayOutputStream

/** Thumbnail bytes to a square icon, with Android's own decoder and canvas (Robolectric's native graphics). */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36])
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class AvatarIconsTest {
    /** A wide PNG: black bands left and right of a red square, the way a face sits in a landscape photo. */
    private fun widePng(): ByteArray {
        val image = Bitmap.createBitmap(120, 80, Bitmap.Config.ARGB_8888)
        for (x in 0 until 120) for (y in 0 until 80) image.setPixel(x, y, if (x in 20 until 100) Color.RED else Color.BLACK)
        return ByteArrayOutputStream().also { image.compress(Bitmap.CompressFormat.PNG, 100, it) }.toByteArray()
    }

    @Test
    fun `a thumbnail becomes a square icon of the centre`() {
        val bitmap = AvatarIcons.bitmap(widePng(), sizePx = 64)!!
        assertEquals(64, bitmap.width)
        assertEquals(64, bitmap.height)
        // The bands are cropped away: red from edge to edge.
        for ((x, y) in listOf(0 to 0, 63 to 0, 32 to 32, 0 to 63, 63 to 63)) {
            assertEquals("pixel $x,$y", Color.RED, bitmap.getPixel(x, y))
        }
    }

    @Test
    fun `bytes that are no image give no icon`() {
        assertNull(AvatarIcons.bitmap("<html>not found</html>".toByteArray()))
        assertNull(AvatarIcons.bitmap(ByteArray(0)))
    }
}
