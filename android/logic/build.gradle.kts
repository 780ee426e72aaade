// The sample app's logic that needs no Android class (notification content, push setup, routing,
// settings, sign-in): plain Kotlin on the JVM, so it is compiled and tested on any machine.
// The same sources also build with Maven (pom.xml beside this file; scripts/android-logic-test).
//
// It compiles against the generated bindings (io.matrixpush) without packaging them: the app gets
// those from :matrixpush (with the Android JNA). Here they are a source set of their own, on the
// compile classpath of main and on the classpath of the tests, which load the host-built
// libmatrix_push_ffi.so and talk to the harness Synapse (see the pom and docs/android.md).
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

sourceSets {
    val bindings = create("bindings")
    main {
        compileClasspath += bindings.output
    }
    test {
        compileClasspath += bindings.output
        runtimeClasspath += bindings.output
    }
}
kotlin.sourceSets.getByName("bindings").kotlin.srcDir(repoRoot.resolve("bindings/kotlin/src/main/kotlin"))

dependencies {
    "bindingsImplementation"(libs.jna)
    "bindingsImplementation"(libs.kotlinx.coroutines.core)

    api(libs.kotlinx.coroutines.core)
    implementation(libs.kotlinx.serialization.json)
    // Only to compile against the bindings; at run time the app has JNA's AAR from :matrixpush.
    compileOnly(libs.jna)

    testImplementation(platform(libs.junit.bom))
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
    testImplementation(libs.jna)
}

tasks.named<org.jetbrains.kotlin.gradle.tasks.KotlinCompile>("compileBindingsKotlin") {
    // The generated file warns a lot (unused, deprecated values()).
    compilerOptions.suppressWarnings.set(true)
}

tasks.test {
    useJUnitPlatform()
    // Run scripts/bindings first (the :matrixpush module's rustBindings task does) and
    // `eval "$(scripts/synapse env)"`: the tests read MATRIX_PUSH_SYNAPSE_* from the environment.
    systemProperty("jna.library.path", repoRoot.resolve("target/debug").path)
    systemProperty("jna.nosys", "true")
    systemProperty("junit.jupiter.execution.timeout.default", "120 s")
}
