// io.matrixpush as an Android library: the Kotlin API (:bindings, generated from the Rust library),
// JNA's Android build, and libmatrix_push_ffi.so for arm64-v8a, armeabi-v7a and x86_64 (built with
// cargo-ndk, profile `mobile`, before preBuild). -Pmatrixpush.skipRust=true uses what is already
// there.
//
// Needs: rustup targets aarch64-linux-android armv7-linux-androideabi x86_64-linux-android,
// `cargo install cargo-ndk`, and the NDK (Android Studio's SDK Manager; ANDROID_NDK_HOME, else the
// NDK of `ndkVersion` below in the SDK). See docs/android.md.
plugins {
    alias(libs.plugins.android.library)
}

/** The repository root (this Gradle build lives in its android/ folder). */
val repoRoot: File = rootDir.parentFile
val rustJniLibs: Provider<Directory> = layout.buildDirectory.dir("rustJniLibs")
val skipRust = providers.gradleProperty("matrixpush.skipRust").map { it.toBoolean() }.orElse(false)
val androidAbis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

android {
    namespace = "io.matrixpush"
    compileSdk = libs.versions.compileSdk.get().toInt()
    ndkVersion = libs.versions.ndk.get()

    defaultConfig {
        minSdk = libs.versions.minSdk.get().toInt()
        consumerProguardFiles("consumer-rules.pro")
        ndk { abiFilters += androidAbis }
    }

    sourceSets {
        getByName("main") {
            jniLibs.srcDir(rustJniLibs)
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // Native libraries stay uncompressed and page-aligned in the APK, loaded straight from it
    // (16 KB page-size devices need the .so segments 16 KB-aligned too: see the linker flag below).
    packaging {
        jniLibs { useLegacyPackaging = false }
    }

    lint {
        // The generated bindings (in :bindings) use java.lang.ref.Cleaner (API 33) only after
        // checking at run time that it exists, and fall back to JNA's cleaner: lint cannot see
        // the check.
        disable += "NewApi"
    }
}

dependencies {
    api(project(":bindings"))
    // The Android build of JNA (jna-5.19.1.aar, with libjnidispatch.so per ABI), not the desktop JAR.
    api(variantOf(libs.jna) { artifactType("aar") })
    api(libs.kotlinx.coroutines.android)
}

// libmatrix_push_ffi.so for each ABI, into build/rustJniLibs/<abi>/ (a jniLibs source folder).
// (Task actions capture only local values, never the script: configuration-cache safe.)
val cargoNdk = tasks.register<Exec>("cargoNdk") {
    group = "rust"
    description = "Builds libmatrix_push_ffi.so for ${androidAbis.joinToString()} with cargo-ndk (profile mobile)."
    val skip = skipRust
    onlyIf { !skip.get() }
    val ndkDirectory = androidComponents.sdkComponents.ndkDirectory
    val outDir = rustJniLibs.get().asFile
    workingDir = repoRoot
    // Android Studio on macOS starts Gradle without the login shell's PATH: add rustup's folder.
    val cargoHome = System.getenv("CARGO_HOME") ?: "${System.getProperty("user.home")}/.cargo"
    environment("PATH", "$cargoHome/bin${File.pathSeparator}${System.getenv("PATH")}")
    commandLine(
        buildList {
            addAll(listOf("cargo", "ndk"))
            androidAbis.forEach { addAll(listOf("-t", it)) }
            addAll(listOf("--platform", libs.versions.minSdk.get(), "-o", outDir.path))
            // e2ee: built-in encryption, which the sample turns on (Accounts.ENCRYPTION).
            addAll(listOf("build", "--locked", "--profile", "mobile", "-p", "matrix-push-ffi", "--features", "e2ee"))
        },
    )
    // 16 KB page alignment (required for apps targeting Android 15+ on 16 KB devices). NDK r28+
    // already links this way; the flag keeps older NDKs right too. Per target, so host build
    // scripts are not affected.
    // Packed relative relocations (Android's APS2, API 23+): ~1 MB less than plain tables.
    val linkArgs = "-C link-arg=-Wl,-z,max-page-size=16384 -C link-arg=-Wl,--pack-dyn-relocs=android"
    listOf("AARCH64_LINUX_ANDROID", "ARMV7_LINUX_ANDROIDEABI", "X86_64_LINUX_ANDROID").forEach {
        environment("CARGO_TARGET_${it}_RUSTFLAGS", linkArgs)
    }
    doFirst {
        if (System.getenv("ANDROID_NDK_HOME").isNullOrEmpty()) {
            environment("ANDROID_NDK_HOME", ndkDirectory.get().asFile.path)
        }
    }
    inputs.files(
        fileTree(repoRoot.resolve("core")) { include("src/**", "Cargo.toml") },
        fileTree(repoRoot.resolve("bindings")) { include("src/**", "Cargo.toml", "uniffi.toml", "uniffi-core.toml") },
        repoRoot.resolve("Cargo.toml"),
        repoRoot.resolve("Cargo.lock"),
    )
    outputs.dir(outDir)
}

tasks.named("preBuild") {
    dependsOn(cargoNdk)
}
