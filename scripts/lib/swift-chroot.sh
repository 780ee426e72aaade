# shellcheck shell=bash
# Shared by scripts/swift-test and scripts/ios-app-check: the Debian trixie chroot with `swiftlang`
# (bookworm has no Swift), made on first use and reused, entered safely.
#
# The caller sets CHROOT_SCRIPT (its name, the prefix of every line it prints) and VERBOSE (1:
# stream the logs), sources this file, then calls, as root:
#   swift_chroot_init      resolve and check the folder (${MATRIX_PUSH_SWIFT_CHROOT:-~/.cache/
#                          matrix-push/swift-trixie}, never inside REPO_ROOT)
#   swift_chroot_lock      install the clean-up trap, take the lock (one run at a time per chroot),
#                          stop what a killed run left running, remove its mounts
#   ensure_chroot          create the chroot, or complete one whose creation was interrupted
#   mount_into_chroot      /proc and /dev, before running anything in it
#   run_logged LOG CMD…    run a command (e.g. "${in_chroot[@]}" …) so that clean-up can stop it
# On exit (success, failure, Ctrl-C, SIGTERM) whatever still runs in the chroot is stopped and
# everything mounted under it is unmounted; a run killed with SIGKILL is cleaned up by the next.
#
# Other settings: MATRIX_PUSH_DEBIAN_MIRROR (default http://deb.debian.org/debian).

SUITE=trixie
MIRROR=${MATRIX_PUSH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What `swift test` needs beyond swiftlang's own dependencies (which bring gcc, binutils and
# libxml2; installed without recommends): the C library headers for the module maps, libcurl for
# FoundationNetworking (URLSession), tzdata for Foundation's time zones. No git (no dependencies).
PACKAGES="swiftlang libc6-dev libcurl4t64 tzdata"

say() { printf '%s: %s\n' "$CHROOT_SCRIPT" "$*"; }
die() { printf '%s: error: %s\n' "$CHROOT_SCRIPT" "$*" >&2; exit 2; }

swift_chroot_init() {
    chroot_dir=${MATRIX_PUSH_SWIFT_CHROOT:-$HOME/.cache/matrix-push/swift-trixie}
    mkdir -p "$(dirname "$chroot_dir")"
    chroot_dir=$(realpath -m "$chroot_dir")
    [ "$chroot_dir" != / ] || die "MATRIX_PUSH_SWIFT_CHROOT must not be /"
    case $chroot_dir in "$REPO_ROOT"|"$REPO_ROOT"/*) die "keep the chroot outside the repository" ;; esac
    OURS=$chroot_dir/.matrix-push-chroot                 # made by this script (so may be deleted)
    BOOTSTRAPPED=$chroot_dir/.matrix-push-bootstrapped   # debootstrap finished
    READY=$chroot_dir/.matrix-push-ready                 # packages installed and swift works
    create_log=$chroot_dir.create.log
    # A command inside the chroot, in a clean environment (NAME=VALUE arguments may follow).
    in_chroot=(chroot "$chroot_dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
}

# ---- mounts and clean-up ---------------------------------------------------------------------
# Every mount point at or below the chroot, innermost (latest) first, read from mountinfo so
# that a mount whose step failed halfway, or one left by a killed run, is found too.
chroot_mounts() {
    local _id _parent _dev _root mp _rest
    local found=()
    while read -r _id _parent _dev _root mp _rest; do
        mp=$(printf '%b' "$mp")
        case $mp in "$chroot_dir"|"$chroot_dir"/*) found+=("$mp") ;; esac
    done </proc/self/mountinfo
    local i
    for ((i = ${#found[@]} - 1; i >= 0; i--)); do printf '%s\n' "${found[i]}"; done
}

unmount_all() {
    local mp ok=0
    while IFS= read -r mp; do
        umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || { say "could not unmount $mp" >&2; ok=1; }
    done < <(chroot_mounts)
    return "$ok"
}

is_mounted() { chroot_mounts | grep -qxF "$1"; }

# /proc: swift finds its own libraries through it. /dev (plain bind, not recursive, so that
# unmounting can never reach the host's /dev/pts or /dev/shm): /dev/null, /dev/urandom and co.
mount_into_chroot() {
    is_mounted "$chroot_dir/proc" || mount -t proc proc "$chroot_dir/proc" \
        || die "could not mount /proc in $chroot_dir"
    is_mounted "$chroot_dir/dev" || mount --bind /dev "$chroot_dir/dev" \
        || die "could not bind-mount /dev in $chroot_dir"
}

# Processes whose root is the chroot: ours (we hold the lock), or left by a killed run.
chroot_pids() {
    local p root
    for p in /proc/[0-9]*; do
        root=$(readlink "$p/root" 2>/dev/null) || continue
        case $root in "$chroot_dir"|"$chroot_dir"/*) printf '%s\n' "${p#/proc/}" ;; esac
    done
}

# Stops everything running in the chroot: SIGINT first (swift test forwards it to the test
# process, which it starts in a process group of its own), then SIGTERM, then SIGKILL.
# shellcheck disable=SC2317 # called from the EXIT trap
stop_chroot_processes() {
    local sig i pids
    for sig in INT TERM KILL; do
        mapfile -t pids < <(chroot_pids)
        [ ${#pids[@]} -gt 0 ] || return 0
        kill -"$sig" "${pids[@]}" 2>/dev/null || true
        for ((i = 0; i < 25; i++)); do
            [ -n "$(chroot_pids)" ] || return 0
            sleep 0.2
        done
    done
    say "processes still running in $chroot_dir: $(chroot_pids | tr '\n' ' ')" >&2
}

child=
# shellcheck disable=SC2317 # called from the EXIT trap
stop_child() {
    [ -n "$child" ] || return 0
    stop_chroot_processes
    kill -TERM -- "-$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
    child=
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_child
    if [ -n "${locked:-}" ]; then
        stop_chroot_processes
        unmount_all || rc=$((rc ? rc : 1))
        if [ -n "$(chroot_mounts)" ]; then
            say "mounts left behind:" >&2; chroot_mounts >&2
        fi
    fi
    exit "$rc"
}

# Runs a command in its own process group (so that clean-up can stop all of it), output to LOG
# (and to the terminal when verbose), and returns its exit code. The lock (fd 9) is not inherited,
# so that processes orphaned by a killed run do not block the next run (which stops them).
run_logged() {
    local log=$1 rc=0
    shift
    if [ "$VERBOSE" = 1 ]; then
        # shellcheck disable=SC2016 # expanded by that bash
        setsid bash -c 'set -o pipefail; "${@:2}" 2>&1 | tee -a "$1"' bash "$log" "$@" </dev/null 9>&- &
    else
        setsid "$@" </dev/null >>"$log" 2>&1 9>&- &
    fi
    child=$!
    wait "$child" || rc=$?
    child=
    return "$rc"
}

# Shows a failed step's log (unless it was streamed already).
show_log() {
    local log=$1
    [ "$VERBOSE" != 1 ] && [ -f "$log" ] || return 0
    if [ "$(wc -l <"$log")" -le 250 ]; then
        cat "$log" >&2
    else
        say "errors in the log:" >&2
        grep -E 'error:|[Ff]atal|failed|FAIL|Crash|[Ss]ignal|E: ' "$log" | head -n 80 >&2 || true
        say "last lines of the log:" >&2
        tail -n 100 "$log" >&2
    fi
    say "full log: $log" >&2
}

# ---- lock (one run at a time per chroot) -----------------------------------------------------
swift_chroot_lock() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    exec 9>"$chroot_dir.lock"
    if ! flock -n 9; then
        say "waiting for another run using $chroot_dir"
        flock 9
    fi
    locked=1
    stop_chroot_processes
    unmount_all || die "stale mounts under $chroot_dir could not be removed"
}

# ---- the chroot --------------------------------------------------------------------------------
wipe_chroot() {
    [ -f "$OURS" ] || [ -z "$(ls -A "$chroot_dir")" ] \
        || die "$chroot_dir exists but was not made by this script; remove it or choose another MATRIX_PUSH_SWIFT_CHROOT"
    unmount_all || die "cannot unmount everything under $chroot_dir"
    [ -z "$(chroot_mounts)" ] || die "mounts remain under $chroot_dir; not deleting it"
    rm -rf --one-file-system "$chroot_dir"
}

ensure_chroot() {
    if [ -f "$READY" ] && [ "$(cat "$READY")" = "$PACKAGES" ]; then
        return 0
    fi
    local start=$SECONDS
    : >"$create_log"
    if ! command -v debootstrap >/dev/null 2>&1; then
        say "installing debootstrap on the host"
        { export DEBIAN_FRONTEND=noninteractive
          apt-get install -y debootstrap || { apt-get update && apt-get install -y debootstrap; }; } \
            >>"$create_log" 2>&1 || { show_log "$create_log"; die "could not install debootstrap"; }
    fi
    if [ ! -f "$BOOTSTRAPPED" ]; then
        if [ -e "$chroot_dir" ]; then
            say "removing the unfinished chroot in $chroot_dir"
            wipe_chroot
        fi
        say "creating a Debian $SUITE chroot in $chroot_dir (first time: several minutes)"
        mkdir -p "$chroot_dir"
        touch "$OURS"
        run_logged "$create_log" debootstrap --variant=minbase "$SUITE" "$chroot_dir" "$MIRROR" \
            || { show_log "$create_log"; die "debootstrap failed"; }
        touch "$BOOTSTRAPPED"
    fi
    say "installing $PACKAGES in the chroot"
    cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf" 2>/dev/null || true   # for apt
    rm -f "$READY"
    mount_into_chroot
    # shellcheck disable=SC2016 # expanded inside the chroot
    run_logged "$create_log" "${in_chroot[@]}" DEBIAN_FRONTEND=noninteractive PACKAGES="$PACKAGES" /bin/sh -ec '
            dpkg --configure -a
            apt-get update
            apt-get install -y --no-install-recommends $PACKAGES
            apt-get clean
            swift --version' \
        || { show_log "$create_log"; die "installing swiftlang in the chroot failed"; }
    printf '%s' "$PACKAGES" >"$READY"
    say "chroot ready in $((SECONDS - start)) s ($(du -sh --one-file-system "$chroot_dir" | cut -f1))"
}
