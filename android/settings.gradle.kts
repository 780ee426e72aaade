// The Android sample of matrix-push: open this folder (android/) in Android Studio, or run
// `gradle wrapper --gradle-version 9.5.0` once here (the wrapper is not committed: docs/android.md
// §5 says why) and then `./gradlew :app:assembleDebug`.
pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "matrix-push-android"

// The Kotlin API (uniffi-generated from the Rust library) as a JVM library, generated first.
include(":bindings")
// The Android library: :bindings + libmatrix_push_ffi.so for each ABI (built with cargo-ndk) +
// JNA's Android build.
include(":matrixpush")
// The app's logic that needs no Android class: plain Kotlin/JVM, tested on the JVM (also with
// Maven: android/logic/pom.xml, scripts/android-logic-test).
include(":logic")
// The sample app io.matrixpush.sample (FCM).
include(":app")
