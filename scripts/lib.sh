# Shared by scripts/demo, scripts/test and scripts/bench. Source it; do not run it.
#
# ensure_moto: installs the pinned moto into .venv/ when it is missing.
# start_moto:  starts moto on a free loopback port, exports MOTO_ENDPOINT, and stops
#              it when the calling script exits.

MOTO_VERSION="5.2.5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
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
