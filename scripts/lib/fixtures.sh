# Shared by the scripts: finds the shared fixtures (MATRIX_PUSH_FIXTURES, else `shared/fixtures` in
# the nearest folder above the repository) and exports MATRIX_PUSH_FIXTURES.
find_fixtures() {
    if [ -z "${MATRIX_PUSH_FIXTURES:-}" ]; then
        local dir
        dir=$(cd .. && pwd)
        while [ "$dir" != "/" ] && [ ! -d "$dir/shared/fixtures" ]; do dir=$(dirname "$dir"); done
        [ -d "$dir/shared/fixtures" ] || { echo "shared fixtures not found above $(pwd); set MATRIX_PUSH_FIXTURES" >&2; return 1; }
        MATRIX_PUSH_FIXTURES="$dir/shared/fixtures"
    fi
    export MATRIX_PUSH_FIXTURES
}
