// io.matrixpush's Kotlin API as a plain JVM library: the uniffi-generated bindings
// (bindings/kotlin/src/main/kotlin), generated here from a host build of the Rust library by
// scripts/bindings before anything compiles them. :logic and :matrixpush depend on this module,
// so on a clean checkout `./gradlew :app:assembleDebug` generates, then compiles, in that order.
//
// Needs Rust (rustup, with cargo on the PATH or in ~/.cargo/bin) on the build machine: Linux or
// macOS. -Pmatrixpush.skipRust=true uses the files already generated.
plugins {
    alias(libs.plugins.kotlin.jvm)
}

/** The repository root (this Gradle build lives in its android/ folder). */
val repoRoot: File = rootDir.parentFile
val skipRust = providers.gradleProperty("matrixpush.skipRust").map { it.toBoolean() }.orElse(false)
val generatedDir = repoRoot.resolve("bindings/kotlin/src/main/kotlin")

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
        // The generated file warns a lot (unused, deprecated values()).
        suppressWarnings.set(true)
    }
}

// scripts/bindings: builds the host library (libmatrix_push_ffi.so on Linux, .dylib on macOS)
// and writes the Kotlin files from it. Up to date while the Rust sources are unchanged.
val rustBindings = tasks.register<Exec>("rustBindings") {
    group = "rust"
    description = "Generates the Kotlin bindings from the Rust library (scripts/bindings)."
    val skip = skipRust
    onlyIf { !skip.get() }
    workingDir = repoRoot
    commandLine(repoRoot.resolve("scripts/bindings").path)
    // Android Studio on macOS starts Gradle without the login shell's PATH: add rustup's folder.
    val cargoHome = System.getenv("CARGO_HOME") ?: "${System.getProperty("user.home")}/.cargo"
    environment("PATH", "$cargoHome/bin${File.pathSeparator}${System.getenv("PATH")}")
    inputs.files(
        fileTree(repoRoot.resolve("core")) { include("src/**", "Cargo.toml") },
        fileTree(repoRoot.resolve("bindings")) { include("src/**", "Cargo.toml", "uniffi.toml", "uniffi-core.toml") },
        repoRoot.resolve("Cargo.lock"),
    )
    outputs.dir(generatedDir)
}

// A task provider as the source folder: compiling depends on generating, with no ordering to
// declare anywhere else.
kotlin.sourceSets.getByName("main").kotlin.srcDir(rustBindings)

dependencies {
    // The desktop JAR only to compile against: the app gets JNA's Android AAR from :matrixpush,
    // the JVM tests the JAR from their own dependencies.
    compileOnly(libs.jna)
    api(libs.kotlinx.coroutines.core)
}
