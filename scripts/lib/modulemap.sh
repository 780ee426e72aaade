# Shared by scripts/bindings and ios/build-xcframework.sh (sourced; bash): the one C module map of
# the Swift bindings. uniffi writes one module map per namespace (MatrixPushFFI.modulemap for the
# FFI crate, MatrixPushCoreFFI.modulemap for the core's records); the shared declarations in the two
# headers are guarded, so one module, MatrixPushFFI, lists both headers.
#
# Portable on purpose: these scripts run on macOS hosts too (Android Studio, Xcode), where sed is
# BSD sed, which writes a `\n` in a replacement as a literal "n". Done in bash itself (pattern
# substitution, as old as the bash 3.2 macOS ships), which keeps the file byte for byte as GNU sed
# did (uniffi's module map ends without a newline).

# merge_modulemap SOURCE DEST: SOURCE (uniffi's MatrixPushFFI.modulemap) with the line
#   header "MatrixPushCoreFFI.h"
# after its `header "MatrixPushFFI.h"` line, written to DEST; returns non-zero (DEST removed) unless
# the result declares each header exactly once, each on a line of its own.
merge_modulemap() {
    local source=$1 dest=$2 header text
    local old='header "MatrixPushFFI.h"'
    local new=$old$'\n''    header "MatrixPushCoreFFI.h"'
    # The whole file, its trailing newlines included (a command substitution drops them).
    text=$(cat "$source" && printf .) || return 1
    text=${text%.}
    case $text in
        *"$old"*"$old"* | "${text/"$old"/}") # twice, or not at all
            echo "merge_modulemap: $source does not have exactly one 'header \"MatrixPushFFI.h\"' (has uniffi changed its module map?)" >&2
            return 1 ;;
    esac
    printf '%s' "${text/"$old"/$new}" >"$dest"
    # The check a broken merge cannot pass: both headers, each alone on its line (a literal "n"
    # joining them, or a missing line break, fails it).
    for header in MatrixPushFFI.h MatrixPushCoreFFI.h; do
        if [ "$(grep -cxE "[[:space:]]*header \"${header//./\\.}\"[[:space:]]*" "$dest")" != 1 ]; then
            echo "merge_modulemap: $dest does not declare header \"$header\" exactly once on a line of its own:" >&2
            cat "$dest" >&2
            rm -f "$dest"
            return 1
        fi
    done
}
