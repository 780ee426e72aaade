package io.matrixpush.sample

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File

/**
 * The repository's google-services.json placeholder passes the checks that read it, so the build
 * works and Firebase starts (and then simply gets no token), as docs/android.md says:
 * - the google-services Gradle plugin (GoogleServicesTask): project_info.project_number and
 *   project_id present, a client whose package_name is the applicationId, a non-empty
 *   mobilesdk_app_id, an api_key current_key;
 * - Firebase Installations at run time (FirebaseInstallations/Utils): app id containing ':',
 *   API key matching \AA[\w-]{38}\z;
 * - the shapes Firebase hands out: project number digits, `1:<number>:android:<hex>`, `AIza…`.
 * And build.gradle.kts recognises it as the placeholder (FIREBASE_CONFIGURED = false).
 */
class GoogleServicesJsonTest {
    private val app = File(System.getProperty("app.dir") ?: "../app")
    private val json = Json.parseToJsonElement(File(app, "google-services.json").readText()).jsonObject

    private fun JsonObject.text(key: String) = this[key]!!.jsonPrimitive.content

    @Test
    fun `the placeholder has the format of a real file`() {
        val project = json["project_info"]!!.jsonObject
        val number = project.text("project_number")
        assertTrue(number, number.matches(Regex("[0-9]{6,}")))
        assertTrue(project.text("project_id").matches(Regex("[a-z][a-z0-9-]{4,28}[a-z0-9]")))
        val client = json["client"]!!.jsonArray.single().jsonObject
        val info = client["client_info"]!!.jsonObject
        val appId = info.text("mobilesdk_app_id")
        assertTrue(appId, appId.matches(Regex("1:$number:android:[0-9a-f]{16,}")))
        val key = client["api_key"]!!.jsonArray.first().jsonObject.text("current_key")
        assertTrue(key, key.matches(Regex("AIza[0-9A-Za-z_-]{35}")))
        assertTrue("Firebase Installations' own check", Regex("""\AA[\w-]{38}\z""").matches(key))
    }

    @Test
    fun `its package is the app's, and the build sees it as the placeholder`() {
        val gradle = File(app, "build.gradle.kts").readText()
        val applicationId = Regex("""applicationId = "([^"]+)"""").find(gradle)!!.groupValues[1]
        val client = json["client"]!!.jsonArray.single().jsonObject
        assertEquals(applicationId, client["client_info"]!!.jsonObject["android_client_info"]!!.jsonObject.text("package_name"))
        val placeholderId = json["project_info"]!!.jsonObject.text("project_id")
        assertTrue("build.gradle.kts looks for \"$placeholderId\"", gradle.contains("""\"$placeholderId\""""))
    }

    @Test
    fun `with the placeholder the manifest turns FCM's auto-init off`() {
        // firebase-messaging fetches a token at start unless the manifest's
        // firebase_messaging_auto_init_enabled is false: it must follow FIREBASE_CONFIGURED.
        val manifest = File(app, "src/main/AndroidManifest.xml").readText()
        val flag = Regex(
            """<meta-data\s+android:name="firebase_messaging_auto_init_enabled"\s+android:value="\$\{([A-Za-z]+)\}"\s*/>""",
        ).find(manifest)
        assertTrue("the manifest sets firebase_messaging_auto_init_enabled from a placeholder", flag != null)
        val gradle = File(app, "build.gradle.kts").readText()
        val placeholder = flag!!.groupValues[1]
        assertTrue(
            "build.gradle.kts sets $placeholder from firebaseConfigured",
            gradle.contains("""manifestPlaceholders["$placeholder"] = firebaseConfigured.toString()"""),
        )
        assertTrue(gradle.contains("""buildConfigField("boolean", "FIREBASE_CONFIGURED", firebaseConfigured.toString())"""))
    }
}
