package io.matrixpush.sample.ui

import android.content.Context
import android.util.TypedValue
import android.view.View
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView

// A few helpers for the sample's screens, built in code to keep the sample small (no layouts,
// no Compose): real apps will have their own UI.

fun Context.dp(value: Int): Int =
    TypedValue.applyDimension(TypedValue.COMPLEX_UNIT_DIP, value.toFloat(), resources.displayMetrics).toInt()

fun Context.column(vararg views: View): LinearLayout = LinearLayout(this).apply {
    orientation = LinearLayout.VERTICAL
    setPadding(dp(16), dp(16), dp(16), dp(16))
    views.forEach { addView(it) }
}

fun Context.scrolling(content: View): ScrollView = ScrollView(this).apply { addView(content) }

fun Context.heading(text: String): TextView = TextView(this).apply {
    this.text = text
    setTextSize(TypedValue.COMPLEX_UNIT_SP, 20f)
    setPadding(0, dp(12), 0, dp(8))
}

fun Context.label(text: String = ""): TextView = TextView(this).apply { this.text = text }
