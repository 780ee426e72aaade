# Shared by the Maven test scripts: Surefire's totals as one plain line, and a check that every
# declared JUnit test ran (JUnit 5 silently skips a test method whose body returns a value, such
# as `fun x() = runBlocking { …; assertThrows {…} }`: such a test would never fail).

# surefire_summary NAME REPORTS_DIR TEST_SOURCES_DIR MAVEN_EXIT_CODE [MAVEN_ARGS...]
# Prints 'NAME: N passed, N failed, N skipped' and returns the code to exit with: Maven's, or 1
# when fewer tests ran than the sources declare (only checked when no -Dtest=… filter was given).
surefire_summary() {
    local name=$1 reports=$2 sources=$3 rc=$4
    shift 4
    if ! compgen -G "$reports/TEST-*.xml" >/dev/null; then
        [ "$rc" -eq 0 ] || printf '%s: failed before any test ran (exit %s)\n' "$name" "$rc" >&2
        return "$rc"
    fi
    local tests failures errors skipped
    read -r tests failures errors skipped < <(
        sed -n 's/.*<testsuite \(.*\)/\1/p' "$reports"/TEST-*.xml | awk '
            { for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) { gsub(/["\/>]/, "", kv[2]); v[kv[1]] += kv[2] } }
            END { printf "%d %d %d %d\n", v["tests"], v["failures"], v["errors"], v["skipped"] }')
    printf '%s: Tests run: %s, Failures: %s, Errors: %s, Skipped: %s\n' "$name" "$tests" "$failures" "$errors" "$skipped"
    echo "$name: $((tests - failures - errors - skipped)) passed, $((failures + errors)) failed, $skipped skipped"
    case " $* " in *" -Dtest="*) return "$rc" ;; esac
    local declared
    declared=$(grep -rhoE '^\s*@(org\.junit\.jupiter\.api\.)?Test\b' "$sources" | wc -l)
    if [ "$rc" -eq 0 ] && [ "$tests" -lt "$declared" ]; then
        printf '%s: error: the sources declare %s tests but only %s ran: JUnit skipped some (a test body that returns a value? use runBlocking<Unit>)\n' \
            "$name" "$declared" "$tests" >&2
        return 1
    fi
    return "$rc"
}
