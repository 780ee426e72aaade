package io.matrixpush.sample

import android.util.Xml
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import org.xmlpull.v1.XmlPullParser
import java.io.File

/**
 * The backup rules, parsed with Android's XML parser, keep what AppStorage names on the device:
 * in cloud backups and device-to-device transfers (Android 12+), and in full backups (≤ 11).
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36])
class AppStorageTest {
    private val app = File(System.getProperty("app.dir") ?: "../app")

    /** What must never leave the device, as the rules spell it (domain, path). */
    private val private = setOf(
        "sharedpref" to "${AppStorage.SESSION_PREFS}.xml",
        "sharedpref" to "${AppStorage.PUSH_PREFS}.xml",
        "file" to "${AppStorage.FFI_STORE_DIR}/",
    )

    /** The <exclude> entries of each section of an XML file (section = the element around them). */
    private fun excludes(name: String): Map<String, Set<Pair<String, String>>> {
        val parser = Xml.newPullParser()
        File(app, "src/main/res/xml/$name").reader().use { reader ->
            parser.setInput(reader)
            val sections = mutableMapOf<String, MutableSet<Pair<String, String>>>()
            val open = ArrayDeque<String>()
            while (parser.next() != XmlPullParser.END_DOCUMENT) {
                when (parser.eventType) {
                    XmlPullParser.START_TAG -> {
                        if (parser.name == "exclude") {
                            sections.getOrPut(open.last()) { mutableSetOf() } +=
                                parser.getAttributeValue(null, "domain") to parser.getAttributeValue(null, "path")
                        }
                        open.addLast(parser.name)
                    }
                    XmlPullParser.END_TAG -> open.removeLast()
                }
            }
            return sections
        }
    }

    @Test
    fun `Android 12+ keeps the session, pusher state and store out of cloud backups and device transfers`() {
        val sections = excludes("data_extraction_rules.xml")
        assertEquals(setOf("cloud-backup", "device-transfer"), sections.keys)
        assertEquals(private, sections["cloud-backup"])
        assertEquals(private, sections["device-transfer"])
    }

    @Test
    fun `Android 11 and older keep them out of full backups`() {
        assertEquals(mapOf("full-backup-content" to private), excludes("backup_rules.xml"))
    }

    @Test
    fun `the settings, and nothing that identifies the device, may be backed up`() {
        val all = excludes("data_extraction_rules.xml").values.flatten()
        assertTrue(all.none { it.second.startsWith(AppStorage.SETTINGS_PREFS) })
    }

    @Test
    fun `the manifest uses both rule files and allows the backup they shape`() {
        val manifest = File(app, "src/main/AndroidManifest.xml").readText()
        assertTrue(manifest.contains("""android:dataExtractionRules="@xml/data_extraction_rules""""))
        assertTrue(manifest.contains("""android:fullBackupContent="@xml/backup_rules""""))
        assertTrue(manifest.contains("""android:allowBackup="true""""))
    }
}
