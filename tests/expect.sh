# The command-line tests' assertions, sourced by tests/cli, tests/mpi and tests/report's scripts.
# Each counts into $passed and $failed; a script ends with `finish NAME`.
passed=0 failed=0

# expect CODE PATTERN -- COMMAND...: the command exits with CODE (within $EXPECT_TIMEOUT seconds,
# default 300) and its output (stdout and stderr) matches the extended regular expression PATTERN.
expect() {
  local code=$1 pattern=$2
  shift 3
  local output status
  output=$(timeout "${EXPECT_TIMEOUT:-300}" "$@" 2>&1)
  status=$?
  if [[ $status -eq $code ]] && grep -Eq -- "$pattern" <<<"$output"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $* (exit $status, wanted $code and /$pattern/)"
    echo "$output" | tail -8 | sed 's/^/    /'
  fi
}

# check DESCRIPTION -- COMMAND...: the command succeeds.
check() {
  local what=$1
  shift 2
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $what"; fi
}

# npm_bundle BUNDLE WHAT: scripts/fetch-npm.sh's BUNDLE (onnxruntime, playwright) into .cache/,
# $modules set to its node_modules. A failed fetch fails the whole test, saying that WHAT goes
# unchecked. Uses the script's $source and $work.
npm_bundle() {
  if ! "$source/scripts/fetch-npm.sh" "$1" >"$work/fetch.log" 2>&1; then
    echo "FAILED: $1 could not be fetched from the npm registry, so $2:"
    tail -3 "$work/fetch.log" | sed 's/^/    /'
    exit 1
  fi
  modules="$source/.cache/$1/node_modules"
}

# need_chromium WHAT: Debian's chromium (scripts/test.sh installs it), else the test fails.
need_chromium() {
  if ! command -v "${CHROMIUM:-chromium}" >/dev/null; then
    echo "FAILED: chromium is not installed (scripts/test.sh installs it), so $1"
    exit 1
  fi
}

# finish NAME: the tally; the script's exit status is non-zero if anything failed.
finish() {
  echo "$1: $passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
