package io.matrixpush.sample.push

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.Canvas
import android.graphics.Paint
import android.graphics.Rect
import androidx.core.graphics.drawable.IconCompat

/**
 * Avatars as notification icons: the library's thumbnail bytes (PNG, JPEG, … within 256 KiB)
 * decoded, cropped to a centred square and scaled to [SIZE_PX]; the system draws people and
 * conversation icons round. Null for bytes Android cannot decode (the notification is then
 * shown without the face).
 */
object AvatarIcons {
    /** Big enough for a conversation icon on any density, small enough for a notification's Binder parcel. */
    const val SIZE_PX = 192

    fun bitmap(bytes: ByteArray, sizePx: Int = SIZE_PX): Bitmap? {
        val decoded = BitmapFactory.decodeByteArray(bytes, 0, bytes.size) ?: return null
        val side = minOf(decoded.width, decoded.height)
        val source = Rect((decoded.width - side) / 2, (decoded.height - side) / 2, 0, 0)
            .apply { right = left + side; bottom = top + side }
        val out = Bitmap.createBitmap(sizePx, sizePx, Bitmap.Config.ARGB_8888)
        Canvas(out).drawBitmap(decoded, source, Rect(0, 0, sizePx, sizePx), Paint(Paint.FILTER_BITMAP_FLAG))
        if (decoded !== out) decoded.recycle()
        return out
    }

    fun icon(bytes: ByteArray): IconCompat? = bitmap(bytes)?.let(IconCompat::createWithBitmap)
}
