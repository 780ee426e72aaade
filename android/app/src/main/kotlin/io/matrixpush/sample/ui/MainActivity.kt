package io.matrixpush.sample.ui

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import android.text.InputType
import android.view.View
import android.widget.Button
import android.widget.EditText
import android.widget.RadioButton
import android.widget.RadioGroup
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.lifecycle.lifecycleScope
import io.matrixpush.sample.Account
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.SignInResult
import io.matrixpush.sample.logic.Transport
import io.matrixpush.sample.logic.TransportPreference
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Sign-in, or who is signed in with the push transport (FCM or UnifiedPush, and the user's pick),
 * settings and sign-out. Coming to the foreground registers with the transport and queues the
 * pusher check (PusherWorker): the app's foreground start, not a push's cold start, does that.
 */
class MainActivity : ComponentActivity() {
    private val app get() = application as SampleApp
    private val accounts get() = app.accounts
    private var transport: Transport? = null

    private val askForNotifications =
        registerForActivityResult(ActivityResultContracts.RequestPermission()) { render() }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        if (Build.VERSION.SDK_INT >= 33 &&
            checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            askForNotifications.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
    }

    override fun onStart() {
        super.onStart()
        render()
        if (accounts.current != null) registerForPushes()
    }

    private fun registerForPushes() {
        lifecycleScope.launch {
            transport = withContext(Dispatchers.IO) { app.transports.register() }
            render()
        }
    }

    private fun render() {
        val account = accounts.current
        setContentView(scrolling(if (account == null) signInView() else accountView(account)))
    }

    private fun signInView(): View {
        val user = EditText(this).apply {
            hint = "@alice:example.org"
            inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_VARIATION_URI
        }
        val password = EditText(this).apply {
            hint = "Password"
            inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_VARIATION_PASSWORD
        }
        val server = EditText(this).apply {
            hint = "Homeserver (optional): example.org or https://…"
            inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_VARIATION_URI
        }
        val status = label()
        val signIn = Button(this).apply { text = "Sign in" }
        signIn.setOnClickListener {
            signIn.isEnabled = false
            status.text = "Signing in…"
            lifecycleScope.launch {
                // The client is created (folders, files) on the way: off the main thread.
                val result = withContext(Dispatchers.IO) {
                    accounts.signIn.signIn(user.text.toString(), password.text.toString(), server.text.toString())
                }
                when (result) {
                    is SignInResult.SignedIn -> {
                        withContext(Dispatchers.IO) { accounts.onSignedIn(result) }
                        render()
                        registerForPushes()
                    }
                    is SignInResult.Failed -> {
                        status.text = result.message
                        signIn.isEnabled = true
                    }
                }
            }
        }
        return column(heading("Sign in"), user, password, server, signIn, status)
    }

    private fun accountView(account: Account): View {
        val session = account.session
        val settings = Button(this).apply {
            text = "Notification settings"
            setOnClickListener { startActivity(Intent(this@MainActivity, SettingsActivity::class.java)) }
        }
        val signOut = Button(this).apply { text = "Sign out" }
        signOut.setOnClickListener {
            signOut.isEnabled = false
            lifecycleScope.launch {
                withContext(Dispatchers.IO) { accounts.signOut() }
                render()
            }
        }
        return column(
            heading("Signed in"),
            label("${session.userId}\ndevice ${session.deviceId}\non ${session.homeserver}"),
            heading("Pushes"),
            label(describe(transport)),
            transportChoice(),
            settings, signOut,
        )
    }

    /** Automatic (FCM where Google Play services is, else UnifiedPush), FCM, or one of the installed distributors. */
    private fun transportChoice(): View {
        val transports = app.transports
        val options = transports.options()
        val preference = transports.preference
        val choices = buildList {
            add("Automatic" to { transports.preference = TransportPreference.AUTOMATIC })
            if (options.fcmAvailable) add("Firebase Cloud Messaging" to { transports.preference = TransportPreference.FCM })
            options.distributors.forEach { d -> add("UnifiedPush: $d" to { transports.useDistributor(d) }) }
        }
        val current = when (preference) {
            TransportPreference.AUTOMATIC -> 0
            TransportPreference.FCM -> if (options.fcmAvailable) 1 else -1
            TransportPreference.UNIFIED_PUSH ->
                choices.indexOfFirst { it.first == "UnifiedPush: ${options.savedDistributor}" }
        }
        val group = RadioGroup(this)
        choices.forEachIndexed { index, (text, _) ->
            group.addView(RadioButton(this).apply { id = index + 1; this.text = text; isChecked = index == current })
        }
        // Listen only after the current choice is checked.
        group.setOnCheckedChangeListener { _, checkedId ->
            choices[checkedId - 1].second()
            registerForPushes()
        }
        return group
    }

    private fun describe(transport: Transport?): String = when (transport) {
        null -> "Registering…"
        is Transport.Fcm -> "Firebase Cloud Messaging (${transport.kind.name.lowercase().replace('_', ' ')})"
        is Transport.UnifiedPush -> "UnifiedPush through ${transport.distributor}"
        is Transport.None -> transport.reason
    }
}
