// The sample app io.matrixpush.sample: sign-in, FCM and UnifiedPush, notifications and settings.
// Thin on purpose: what it decides lives in :logic (tested on the JVM); this module only talks
// to Android (NotificationManager, shortcuts, Keystore, SharedPreferences, WorkManager, Firebase,
// the UnifiedPush connector, views). scripts/android-app-check compiles it without the Android
// SDK (docs/android.md, "What is built and tested here").
plugins {
    alias(libs.plugins.android.application)
    // Reads app/google-services.json (a placeholder in the repository: replace it with your
    // Firebase project's file, see docs/android.md).
    alias(libs.plugins.google.services)
}

val gatewayUrl = providers.gradleProperty("matrixpush.gatewayUrl")
    .orElse("https://push.example.org/_matrix/push/v1/notify")

// How FCM registers this install: "token" (the legacy registration token, pusher app id
// io.matrixpush.sample.android) or "fid" (the Firebase Installation ID, app id
// io.matrixpush.sample.android.fid). Firebase switches for the whole app with a manifest flag, so
// this is a build choice: -Pmatrixpush.fcmRegistration=fid. docs/android.md says what the push
// gateway must send for each.
val fcmRegistration = providers.gradleProperty("matrixpush.fcmRegistration").orElse("token").get()
require(fcmRegistration == "token" || fcmRegistration == "fid") {
    "matrixpush.fcmRegistration must be token or fid, not $fcmRegistration"
}

// The repository's google-services.json is a placeholder (format-valid, so the build works): with
// it the app does not try FCM and says "push not configured" or uses UnifiedPush.
val firebaseConfigured = !file("google-services.json").readText().contains("\"matrix-push-placeholder\"")

android {
    namespace = "io.matrixpush.sample"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        applicationId = "io.matrixpush.sample"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "0.1.0"
        // Where the FCM pusher sends pushes: -Pmatrixpush.gatewayUrl=… or gradle.properties.
        buildConfigField("String", "PUSH_GATEWAY_URL", "\"${gatewayUrl.get()}\"")
        buildConfigField("boolean", "FCM_INSTALLATION_ID", (fcmRegistration == "fid").toString())
        buildConfigField("boolean", "FIREBASE_CONFIGURED", firebaseConfigured.toString())
        // firebase-messaging reads this manifest flag: true = FID registration (register(),
        // onRegistered), false = tokens (getToken(), onNewToken).
        manifestPlaceholders["fcmInstallationIdEnabled"] = (fcmRegistration == "fid").toString()
        // firebase-messaging's auto-init fetches a token at start unless this manifest flag is
        // false: off with the placeholder google-services.json, so that a build without a Firebase
        // project does not ask FCM for a token (the app itself never calls into FCM then either).
        // With a real project it stays on: FCM keeps the token fresh.
        manifestPlaceholders["firebaseMessagingAutoInitEnabled"] = firebaseConfigured.toString()
    }

    buildFeatures {
        buildConfig = true
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // libmatrix_push_ffi.so stays uncompressed and 16 KB-aligned in the APK (loaded from it).
    packaging {
        jniLibs { useLegacyPackaging = false }
    }
}

dependencies {
    implementation(project(":matrixpush"))
    implementation(project(":logic"))

    implementation(platform(libs.firebase.bom))
    implementation(libs.firebase.messaging)
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.kotlinx.coroutines.play.services)
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.ktx)
    implementation(libs.androidx.lifecycle.runtime.ktx)
    implementation(libs.androidx.work.runtime.ktx)
    implementation(libs.unifiedpush.connector)
}
