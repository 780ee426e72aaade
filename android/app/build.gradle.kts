// The sample app io.matrixpush.sample: sign-in, the FCM service, notifications and settings.
// Thin on purpose: what it decides lives in :logic (tested on the JVM); this module only talks
// to Android (NotificationManager, Keystore, SharedPreferences, Firebase, views).
plugins {
    alias(libs.plugins.android.application)
    // Reads app/google-services.json (a placeholder in the repository: replace it with your
    // Firebase project's file, see docs/android.md).
    alias(libs.plugins.google.services)
}

val gatewayUrl = providers.gradleProperty("matrixpush.gatewayUrl")
    .orElse("https://push.example.org/_matrix/push/v1/notify")

android {
    namespace = "io.matrixpush.sample"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        applicationId = "io.matrixpush.sample"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "0.1.0"
        // Where the pusher sends pushes: -Pmatrixpush.gatewayUrl=… or gradle.properties.
        buildConfigField("String", "PUSH_GATEWAY_URL", "\"${gatewayUrl.get()}\"")
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
}
