// Plugins are declared here once (not applied), so every module resolves the same versions.
plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.android.library) apply false
    // Declaring the Kotlin Gradle plugin here also makes AGP's built-in Kotlin (the :app and
    // :matrixpush modules) compile with this Kotlin version rather than the one AGP bundles.
    alias(libs.plugins.kotlin.jvm) apply false
    alias(libs.plugins.google.services) apply false
}
