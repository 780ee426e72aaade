// The sample app's logic that needs no Android class (notification content, push setup, routing,
// settings, sign-in): plain Kotlin on the JVM, so it is compiled and tested on any machine.
// The same sources also build with Maven (pom.xml beside this file; scripts/android-logic-test).
//
// It compiles against the Kotlin API (:bindings, generated from the Rust library first); the
// tests load the host-built libmatrix_push_ffi.so and talk to the harness Synapse (see the pom
// and docs/android.md).
plugins {
    alias(libs.plugins.kotlin.jvm)
}

/** The repository root (this Gradle build lives in its android/ folder). */
val repoRoot: File = rootDir.parentFile

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    // The bindings are part of this module's API (PushSetup takes a ClientInterface).
    api(project(":bindings"))
    api(libs.kotlinx.coroutines.core)
    implementation(libs.kotlinx.serialization.json)

    testImplementation(platform(libs.junit.bom))
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
    // The desktop JNA for the tests on the JVM (the app has the Android AAR from :matrixpush).
    testImplementation(libs.jna)
}

tasks.test {
    useJUnitPlatform()
    // `eval "$(scripts/synapse env)"` first: the tests read MATRIX_PUSH_SYNAPSE_* from the
    // environment and load the library :bindings built for this host.
    systemProperty("jna.library.path", repoRoot.resolve("target/debug").path)
    systemProperty("jna.nosys", "true")
    systemProperty("junit.jupiter.execution.timeout.default", "120 s")
}
