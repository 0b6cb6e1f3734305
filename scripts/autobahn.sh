#!/usr/bin/env bash
# Runs Autobahn|Testsuite against our testees.
#   scripts/autobahn.sh [client|server|both] [cases]    e.g. scripts/autobahn.sh both '1.*,2.*,9.1.1'
# "server" tests our server (the suite's fuzzingclient mode against `scriptling-ws echo`);
# "client" tests our client (the suite's fuzzingserver mode driven by `scriptling-ws autobahn`).
# Needs AUTOBAHN_TESTSUITE: a checkout of the Python 3 port ricardo-valero/autobahn-testsuite,
# and Debian's python3-autobahn python3-twisted python3-jinja2 python3-openssl python3-service-identity.
# Reports go to reports/<role>/ (index.json, HTML); the summary script judges them.
# AUTOBAHN_AGENT names the testee in the reports; AUTOBAHN_SERVER_CMD swaps our echo server for another
# (bench/autobahn-ws-echo.mjs times ws on the same cases); AUTOBAHN_CLIENT_CMD swaps our client driver for
# another (a bash command that finds the URL and the agent in "$1" and "$2"); AUTOBAHN_PORT (9001) and AUTOBAHN_PYTHON too.
set -euo pipefail
cd "$(dirname "$0")/.."
role=${1:-both}
cases=${2:-*}
port=${AUTOBAHN_PORT:-9001}
python=${AUTOBAHN_PYTHON:-/usr/bin/python3}
agent=${AUTOBAHN_AGENT:-scriptling-websocket}

if [ -z "${AUTOBAHN_TESTSUITE:-}" ] || [ ! -d "$AUTOBAHN_TESTSUITE/autobahntestsuite/autobahntestsuite" ]; then
  cat >&2 <<MSG
autobahn.sh: set AUTOBAHN_TESTSUITE to a checkout of the Autobahn|Testsuite Python 3 port
(github.com/ricardo-valero/autobahn-testsuite), e.g.
  git clone https://github.com/ricardo-valero/autobahn-testsuite /opt/autobahn-testsuite
  export AUTOBAHN_TESTSUITE=/opt/autobahn-testsuite
and install its dependencies from Debian:
  apt-get install python3-autobahn python3-twisted python3-jinja2 python3-openssl python3-service-identity
MSG
  exit 2
fi
[ -f dist/src/cli.js ] || node scripts/setup.mjs

# The case list as JSON: "1.*,2.1.1" -> ["1.*","2.1.1"]
cases_json=$(node -e 'console.log(JSON.stringify(process.argv[1].split(",").map(s => s.trim()).filter(Boolean)))' "$cases")
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# The suite's command line. Started in the background it stays a simple command
# (env execs python), so $! is python's own PID and cleanup can stop it.
wstest=(env PYTHONPATH="$AUTOBAHN_TESTSUITE/autobahntestsuite" "$python" scripts/autobahn-wstest.py)

wait_port() {
  for _ in $(seq 1 100); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "autobahn.sh: nothing listens on port $port" >&2
  return 1
}

run_server() {
  echo "== Autobahn fuzzingclient -> our server (cases: $cases)"
  node -e '
    const spec = require(process.argv[1]);
    spec.cases = JSON.parse(process.argv[2]);
    spec.servers[0].url = "ws://127.0.0.1:" + process.argv[3];
    spec.servers[0].agent = process.argv[5];
    spec.outdir = "./reports/server";
    require("fs").writeFileSync(process.argv[4], JSON.stringify(spec, null, 2));
  ' "$PWD/fixtures/autobahn/fuzzingclient.json" "$cases_json" "$port" "$work/fuzzingclient.json" "$agent"
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "autobahn.sh: port $port is taken" >&2; return 1; fi
  # AUTOBAHN_SERVER_CMD runs another echo server instead (e.g. ws, for comparison); it gets the port as $1.
  if [ -n "${AUTOBAHN_SERVER_CMD:-}" ]; then
    bash -c "exec $AUTOBAHN_SERVER_CMD \"\$1\"" _ "$port" >"$work/echo.log" 2>&1 &
  else
    node dist/src/cli.js echo --port "$port" >"$work/echo.log" 2>&1 &
  fi
  pids+=($!)
  wait_port
  local start=$SECONDS
  "${wstest[@]}" -m fuzzingclient -s "$work/fuzzingclient.json"
  echo "server role finished in $((SECONDS - start)) s"
  kill "${pids[-1]}" 2>/dev/null || true
  node scripts/autobahn-summary reports/server/index.json --cases "$cases" --agent "$agent"
}

run_client() {
  echo "== Autobahn fuzzingserver -> our client (cases: $cases)"
  node -e '
    const spec = require(process.argv[1]);
    spec.cases = JSON.parse(process.argv[2]);
    spec.url = "ws://127.0.0.1:" + process.argv[3];
    spec.outdir = "./reports/client";
    require("fs").writeFileSync(process.argv[4], JSON.stringify(spec, null, 2));
  ' "$PWD/fixtures/autobahn/fuzzingserver.json" "$cases_json" "$port" "$work/fuzzingserver.json"
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "autobahn.sh: port $port is taken" >&2; return 1; fi
  "${wstest[@]}" -m fuzzingserver -u 0 -s "$work/fuzzingserver.json" >"$work/fuzzingserver.log" 2>&1 &
  pids+=($!)
  wait_port
  local start=$SECONDS
  if [ -n "${AUTOBAHN_CLIENT_CMD:-}" ]; then
    bash -c "$AUTOBAHN_CLIENT_CMD" _ "ws://127.0.0.1:$port" "$agent"
  else
    node dist/src/cli.js autobahn --url "ws://127.0.0.1:$port" --agent "$agent"
  fi
  echo "client role finished in $((SECONDS - start)) s"
  kill "${pids[-1]}" 2>/dev/null || true
  node scripts/autobahn-summary reports/client/index.json --cases "$cases" --agent "$agent"
}

status=0
case "$role" in
  server) run_server || status=$? ;;
  client) run_client || status=$? ;;
  both) run_server || status=$?; run_client || status=$? ;;
  *) echo "usage: scripts/autobahn.sh [client|server|both] [cases]" >&2; exit 2 ;;
esac
exit $status
