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
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.lifecycle.lifecycleScope
import io.matrixpush.sample.Account
import io.matrixpush.sample.SampleApp
import io.matrixpush.sample.logic.SignInResult
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/** Sign-in, or who is signed in with the pusher's state, settings and sign-out. */
class MainActivity : ComponentActivity() {
    private val accounts get() = (application as SampleApp).accounts

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

    override fun onResume() {
        super.onResume()
        render()
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
                        status.text = "Registering for pushes…"
                        withContext(Dispatchers.IO) { accounts.onSignedIn(result) }
                        render()
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
        val pusher = label("Pusher: checked at every start")
        val check = Button(this).apply { text = "Check the pusher now" }
        check.setOnClickListener {
            lifecycleScope.launch {
                pusher.text = "Pusher: checking…"
                val result = withContext(Dispatchers.IO) { accounts.checkPusher() }
                pusher.text = "Pusher: ${result ?: "not registered (see Logcat: no FCM token, or no network)"}"
            }
        }
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
        val session = account.session
        return column(
            heading("Signed in"),
            label("${session.userId}\ndevice ${session.deviceId}\non ${session.homeserver}"),
            pusher, check, settings, signOut,
        )
    }
}
