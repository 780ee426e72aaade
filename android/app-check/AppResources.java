// Reads the sample app's resources and build script the way AGP would, for scripts/android-app-check
// (which has no Android SDK or Gradle):
//  1. parses android/app/src/main/AndroidManifest.xml and every XML file under res/ (a file that
//     is not well-formed fails the check);
//  2. checks that every @type/name reference in them (not @android:…) names a resource the app has,
//     and every ${placeholder} in the manifest is a manifestPlaceholders entry of app/build.gradle.kts;
//  3. writes what AGP would generate, so that the Kotlin compiler catches a misspelt name:
//     - R.kt: R.string.app_name, R.xml.backup_rules, … (ids are made up: only the names matter);
//     - BuildConfig.kt: DEBUG, APPLICATION_ID, …, and every buildConfigField of app/build.gradle.kts
//       (with a placeholder value of the declared type: the Gradle expression is not evaluated);
//     - ManifestComponents.kt: every component the manifest declares, as a class reference typed
//       by its kind (an <activity> must be an Activity, a <service> a Service…), so a renamed or
//       misspelt class, or one of the wrong kind, fails to compile.
// Usage: java AppResources.java APP_DIR OUT_DIR     (APP_DIR = android/app)
// Prints one line per problem and exits 1 when there is any.
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

public class AppResources {
    static final String ANDROID_NS = "http://schemas.android.com/apk/res/android";
    static final Pattern REFERENCE = Pattern.compile("^@(\\+)?([a-z]+)/([A-Za-z0-9_.]+)$");
    static final Pattern GRADLE_STRING = Pattern.compile("(namespace|applicationId)\\s*=\\s*\"([^\"]+)\"");
    static final Pattern MANIFEST_PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_]+)\\}");
    static final Pattern GRADLE_PLACEHOLDER = Pattern.compile("manifestPlaceholders\\[\"([A-Za-z0-9_]+)\"\\]");
    static final Pattern BUILD_CONFIG_FIELD = Pattern.compile("buildConfigField\\(\\s*\"([^\"]+)\"\\s*,\\s*\"([A-Z0-9_]+)\"");

    /** type → names, as R has them. */
    final Map<String, TreeSet<String>> resources = new TreeMap<>();
    final List<String> problems = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: java AppResources.java APP_DIR OUT_DIR");
            System.exit(2);
        }
        Path app = Path.of(args[0]);
        Path out = Path.of(args[1]);
        AppResources check = new AppResources();
        int files = check.run(app, out);
        check.problems.forEach(p -> System.out.println("app-resources: " + p));
        if (!check.problems.isEmpty()) System.exit(1);
        int names = check.resources.values().stream().mapToInt(TreeSet::size).sum();
        System.out.println("app-resources: " + files + " XML files well-formed, " + names
            + " resources, every reference resolved");
    }

    int run(Path app, Path out) throws Exception {
        Path main = app.resolve("src/main");
        Path manifestFile = main.resolve("AndroidManifest.xml");
        String gradle = Files.readString(app.resolve("build.gradle.kts"));
        Map<String, String> gradleStrings = new TreeMap<>();
        Matcher m = GRADLE_STRING.matcher(gradle);
        while (m.find()) gradleStrings.putIfAbsent(m.group(1), m.group(2));
        String namespace = gradleStrings.get("namespace");
        if (namespace == null) throw new IllegalStateException("no namespace in " + app.resolve("build.gradle.kts"));

        // Collect the resources first, then check the references against them.
        List<Path> xmlFiles = new ArrayList<>();
        Map<Path, Document> parsed = new TreeMap<>();
        Path res = main.resolve("res");
        try (Stream<Path> walk = Files.walk(res)) {
            for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                String folder = file.getParent().getFileName().toString();
                String type = folder.split("-", 2)[0];
                String fileName = file.getFileName().toString();
                if (fileName.endsWith(".xml")) xmlFiles.add(file);
                if (type.equals("values")) {
                    Document doc = parse(file);
                    if (doc != null) {
                        parsed.put(file, doc);
                        collectValues(file, doc);
                    }
                } else {
                    add(type, fileName.substring(0, fileName.indexOf('.') < 0 ? fileName.length() : fileName.indexOf('.')));
                }
            }
        }
        xmlFiles.add(manifestFile);
        for (Path file : xmlFiles) {
            Document doc = parsed.containsKey(file) ? parsed.get(file) : parse(file);
            if (doc == null) continue;
            parsed.put(file, doc);
            checkReferences(file, doc.getDocumentElement());
        }
        Files.createDirectories(out);
        writeR(out, namespace);
        writeBuildConfig(out, namespace, gradleStrings.getOrDefault("applicationId", namespace), gradle);
        checkPlaceholders(manifestFile, gradle);
        Document manifest = parsed.get(manifestFile);
        if (manifest != null) writeManifestComponents(out, namespace, manifest);
        return xmlFiles.size();
    }

    Document parse(Path file) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            var builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            return builder.parse(file.toFile());
        } catch (Exception e) {
            problems.add(file + ": not well-formed XML: " + e.getMessage());
            return null;
        }
    }

    void collectValues(Path file, Document doc) {
        NodeList children = doc.getDocumentElement().getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (!(children.item(i) instanceof Element e)) continue;
            String name = e.getAttribute("name");
            if (name.isEmpty()) {
                problems.add(file + ": <" + e.getTagName() + "> without a name");
                continue;
            }
            String type = switch (e.getTagName()) {
                case "string-array", "integer-array", "array" -> "array";
                case "item" -> e.getAttribute("type");
                case "declare-styleable" -> "styleable";
                default -> e.getTagName();
            };
            add(type, name);
        }
    }

    void add(String type, String name) {
        resources.computeIfAbsent(type, t -> new TreeSet<>()).add(name.replace('.', '_'));
    }

    void checkReferences(Path file, Element element) {
        NamedNodeMap attributes = element.getAttributes();
        for (int i = 0; i < attributes.getLength(); i++) {
            checkReference(file, element, attributes.item(i).getNodeValue());
        }
        NodeList children = element.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            Node child = children.item(i);
            if (child instanceof Element e) checkReferences(file, e);
            else if (child.getNodeType() == Node.TEXT_NODE) checkReference(file, element, child.getNodeValue().trim());
        }
    }

    void checkReference(Path file, Element element, String value) {
        Matcher m = REFERENCE.matcher(value);
        if (!m.matches()) return;
        String type = m.group(2);
        String name = m.group(3).replace('.', '_');
        if (m.group(1) != null) {   // @+id/… declares
            add(type, name);
            return;
        }
        if (!resources.getOrDefault(type, new TreeSet<>()).contains(name)) {
            problems.add(file + ": <" + element.getTagName() + "> refers to " + value + ", which the app does not have");
        }
    }

    void checkPlaceholders(Path manifestFile, String gradle) throws IOException {
        TreeSet<String> defined = new TreeSet<>();
        Matcher g = GRADLE_PLACEHOLDER.matcher(gradle);
        while (g.find()) defined.add(g.group(1));
        Matcher m = MANIFEST_PLACEHOLDER.matcher(Files.readString(manifestFile));
        while (m.find()) {
            if (!defined.contains(m.group(1)) && !m.group(1).equals("applicationId")) {
                problems.add(manifestFile + ": ${" + m.group(1) + "} is not a manifestPlaceholders entry of build.gradle.kts");
            }
        }
    }

    void writeR(Path out, String namespace) throws IOException {
        StringBuilder kt = new StringBuilder(header(namespace, "R: the app's resource names, as AGP generates them"));
        kt.append("object R {\n");
        int typeIndex = 1;
        for (var entry : resources.entrySet()) {
            kt.append("    object ").append(entry.getKey()).append(" {\n");
            int id = 0;
            for (String name : entry.getValue()) {
                kt.append(String.format("        const val %s: Int = 0x7f%02x%04x%n", name, typeIndex, id++));
            }
            kt.append("    }\n");
            typeIndex++;
        }
        kt.append("}\n");
        Files.writeString(out.resolve("R.kt"), kt);
    }

    void writeBuildConfig(Path out, String namespace, String applicationId, String gradle) throws IOException {
        StringBuilder kt = new StringBuilder(header(namespace, "BuildConfig: AGP's fields and app/build.gradle.kts's buildConfigFields (placeholder values)"));
        kt.append("object BuildConfig {\n");
        kt.append("    @JvmField val DEBUG: Boolean = java.lang.Boolean.parseBoolean(\"true\")\n");
        kt.append("    const val APPLICATION_ID: String = \"").append(applicationId).append("\"\n");
        kt.append("    const val BUILD_TYPE: String = \"debug\"\n");
        kt.append("    const val VERSION_CODE: Int = 1\n");
        kt.append("    const val VERSION_NAME: String = \"check\"\n");
        Matcher m = BUILD_CONFIG_FIELD.matcher(gradle);
        while (m.find()) {
            String type = m.group(1);
            String name = m.group(2);
            String kotlin = switch (type) {
                case "String" -> "String = \"\"";
                case "boolean" -> "Boolean = false";
                case "int" -> "Int = 0";
                case "long" -> "Long = 0L";
                default -> null;
            };
            if (kotlin == null) problems.add("build.gradle.kts: buildConfigField type " + type + " of " + name + " is not handled here");
            // Not const: AGP's fields are static finals, but the app must not rely on their value at compile time.
            else kt.append("    @JvmField val ").append(name).append(": ").append(kotlin).append("\n");
        }
        kt.append("}\n");
        Files.writeString(out.resolve("BuildConfig.kt"), kt);
    }

    void writeManifestComponents(Path out, String namespace, Document manifest) throws IOException {
        Map<String, String> kinds = Map.of(
            "application", "android.app.Application",
            "activity", "android.app.Activity",
            "service", "android.app.Service",
            "receiver", "android.content.BroadcastReceiver",
            "provider", "android.content.ContentProvider");
        StringBuilder kt = new StringBuilder(header(namespace + ".appcheck", "every component AndroidManifest.xml declares, typed by its kind"));
        // One typed function per kind: passing a class of another kind does not compile.
        for (var kind : new TreeMap<>(kinds).entrySet()) {
            kt.append("private fun <T : ").append(kind.getValue()).append("> ").append(kind.getKey())
                .append("(component: Class<T>): Class<*> = component\n");
        }
        kt.append("\n@Suppress(\"unused\")\ninternal val manifestComponents: List<Class<*>> = listOf(\n");
        for (var kind : new TreeMap<>(kinds).entrySet()) {
            NodeList nodes = manifest.getElementsByTagName(kind.getKey());
            for (int i = 0; i < nodes.getLength(); i++) {
                Element e = (Element) nodes.item(i);
                String name = e.getAttributeNS(ANDROID_NS, "name");
                if (name.isEmpty()) {
                    if (!kind.getKey().equals("application")) problems.add("AndroidManifest.xml: <" + kind.getKey() + "> without android:name");
                    continue;
                }
                String cls = name.startsWith(".") ? namespace + name : name;
                kt.append("    ").append(kind.getKey()).append("(").append(cls).append("::class.java),\n");
            }
        }
        kt.append(")\n");
        Files.writeString(out.resolve("ManifestComponents.kt"), kt);
    }

    static String header(String pkg, String what) {
        return "// Generated by android/app-check/AppResources.java for scripts/android-app-check: " + what + ".\n"
            + "// Not a source file: regenerated on every check.\n"
            + "package " + pkg + "\n\n";
    }
}
