package io.matrixpush.sample.ui

import android.os.Bundle
import android.text.InputType
import android.view.View
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.ProgressBar
import android.widget.RadioButton
import android.widget.RadioGroup
import android.widget.Switch
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import io.matrixpush.core.RoomNotificationMode
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.RecoveryPresenter
import io.matrixpush.sample.logic.RecoveryState
import io.matrixpush.sample.logic.RoomSetting
import io.matrixpush.sample.logic.SettingsPresenter
import io.matrixpush.sample.logic.SettingsState
import kotlinx.coroutines.launch

/**
 * Keywords and room modes, through the logic module's [SettingsPresenter]: this screen only draws
 * its state and forwards taps. The rooms offered are the user's joined rooms (`Client.rooms()`),
 * plus any room id typed in (an invite, which the list leaves out). Below them, "Recover
 * encrypted messages" ([RecoveryPresenter]): the recovery key from another client verifies this
 * device and opens the key backup. "Private read receipts" ([io.matrixpush.sample.logic.ReadReceiptSetting])
 * makes Mark as read send m.read.private.
 */
class SettingsActivity : ComponentActivity() {
    private val accounts get() = (application as SampleApp).accounts
    private lateinit var presenter: SettingsPresenter
    private lateinit var recovery: RecoveryPresenter

    private lateinit var keywords: LinearLayout
    private lateinit var rooms: LinearLayout
    private lateinit var error: TextView
    private lateinit var progress: ProgressBar
    private lateinit var recoveryKey: EditText
    private lateinit var recoverButton: Button
    private lateinit var recoveryResult: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val account = accounts.current ?: return finish()
        presenter = SettingsPresenter(account.client)
        recovery = RecoveryPresenter(account.client::recover)

        val newKeyword = EditText(this).apply { hint = "New keyword, e.g. deploy*"; inputType = InputType.TYPE_CLASS_TEXT }
        val addKeyword = Button(this).apply {
            text = "Add keyword"
            setOnClickListener {
                lifecycleScope.launch {
                    presenter.addKeyword(newKeyword.text.toString())
                    if (presenter.state.value.error == null) newKeyword.text.clear()
                }
            }
        }
        val newRoom = EditText(this).apply { hint = "Room id (!…)"; inputType = InputType.TYPE_CLASS_TEXT }
        val addRoom = Button(this).apply {
            text = "Add room"
            setOnClickListener {
                val id = newRoom.text.toString().trim()
                if (id.isNotEmpty()) {
                    lifecycleScope.launch {
                        presenter.addRoom(id)
                        if (presenter.state.value.error == null) newRoom.text.clear()
                    }
                }
            }
        }
        // A secret: masked, kept out of autofill (no offer to save it), never put in state or logs.
        recoveryKey = EditText(this).apply {
            hint = "Recovery key (EsT…) or passphrase"
            inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_VARIATION_PASSWORD
            importantForAutofill = View.IMPORTANT_FOR_AUTOFILL_NO
        }
        recoverButton = Button(this).apply {
            text = "Recover"
            setOnClickListener {
                val key = recoveryKey.text.toString()
                lifecycleScope.launch {
                    recovery.submit(key)
                    // Not left on screen once it has done its job.
                    if (recovery.state.value is RecoveryState.Recovered) recoveryKey.text.clear()
                }
            }
        }
        // Mark as read from a notification: m.read, or m.read.private when the user wants.
        val readReceipts = (application as SampleApp).readReceipts
        val privateReceipts = Switch(this).apply {
            text = "Private read receipts"
            isChecked = readReceipts.privateReceipts
            setOnCheckedChangeListener { _, checked -> readReceipts.privateReceipts = checked }
        }
        recoveryResult = label()
        keywords = column().apply { setPadding(0, 0, 0, 0) }
        rooms = column().apply { setPadding(0, 0, 0, 0) }
        error = label()
        progress = ProgressBar(this).apply { isIndeterminate = true }
        setContentView(
            scrolling(
                column(
                    progress, error,
                    heading("Keywords"), keywords, newKeyword, addKeyword,
                    heading("Rooms"), rooms, newRoom, addRoom,
                    heading("Read receipts"), privateReceipts,
                    label("\"Mark as read\" on a notification tells the room how far you have read. Private: only your own devices are told; the unread count drops everywhere either way."),
                    heading("Recover encrypted messages"),
                    label("Enter the recovery key another app (Element, say) showed you when you set up recovery."),
                    recoveryKey, recoverButton, recoveryResult,
                ),
            ),
        )

        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) { presenter.state.collect(::render) }
        }
        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) { recovery.state.collect(::renderRecovery) }
        }
        lifecycleScope.launch { presenter.load() }
        // Not started here: Client.startPushRulesSync. It would pick up changes made on other
        // devices, but it saves the rules in the store at the same moments this screen's calls do,
        // and two such saves at once can fail (see docs/android.md); the screen reads back after
        // every change instead.
    }

    private fun render(state: SettingsState) {
        progress.visibility = if (state.busy) View.VISIBLE else View.GONE
        error.text = state.error.orEmpty()
        error.visibility = if (state.error == null) View.GONE else View.VISIBLE

        keywords.removeAllViews()
        if (state.keywords.isEmpty()) keywords.addView(label("No keywords."))
        state.keywords.forEach { keyword ->
            keywords.addView(
                LinearLayout(this).apply {
                    orientation = LinearLayout.HORIZONTAL
                    addView(label(keyword).apply { layoutParams = LinearLayout.LayoutParams(0, -2, 1f) })
                    addView(Button(context).apply {
                        text = "Remove"
                        setOnClickListener { lifecycleScope.launch { presenter.removeKeyword(keyword) } }
                    })
                },
            )
        }

        rooms.removeAllViews()
        if (state.rooms.isEmpty() && !state.busy) rooms.addView(label("No rooms joined yet."))
        state.rooms.forEach { rooms.addView(roomRow(it)) }
    }

    private fun renderRecovery(state: RecoveryState) {
        recoverButton.isEnabled = state != RecoveryState.Working
        recoveryResult.text = when (state) {
            RecoveryState.Idle -> ""
            RecoveryState.Working -> "Recovering…"
            is RecoveryState.Recovered -> state.message
            is RecoveryState.Failed -> state.message
        }
    }

    private fun roomRow(room: RoomSetting): View {
        val choices = listOf(
            RoomNotificationMode.ALL_MESSAGES to "All messages",
            RoomNotificationMode.MENTIONS_AND_KEYWORDS_ONLY to "Mentions and keywords",
            RoomNotificationMode.MUTE to "Mute",
        )
        val group = RadioGroup(this)
        choices.forEachIndexed { index, (mode, text) ->
            group.addView(RadioButton(this).apply {
                id = index + 1
                this.text = text
                isChecked = mode == room.mode
            })
        }
        // Listen only after the current mode is checked.
        group.setOnCheckedChangeListener { _, checkedId ->
            val mode = choices[checkedId - 1].first
            if (mode != room.mode) lifecycleScope.launch { presenter.setRoomMode(room.roomId, mode) }
        }
        val kind = if (room.isDm) " · direct chat" else ""
        val defaults = if (room.hasOwnRule) "" else " (account default)"
        return column(label("${room.name}$kind$defaults"), group)
            .apply { setPadding(0, dp(8), 0, dp(8)) }
    }
}
