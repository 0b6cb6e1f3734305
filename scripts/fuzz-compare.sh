#!/usr/bin/env bash
# Differential run: Autobahn|Testsuite and `scriptling-ws fuzz` judge the same implementation in the
# same role, then scripts/fuzz-diff.mjs compares their index.json case by case.
#   scripts/fuzz-compare.sh [ours|ws|python] [server|client] [cases]     e.g. scripts/fuzz-compare.sh ws server '1.*,2.*'
# Needs AUTOBAHN_TESTSUITE as scripts/autobahn.sh does, and `cd bench && npm ci` for ws.
# Reports go to reports/compare/<impl>-<role>/{autobahn,fuzz}/; the timings are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
impl=${1:-ours}
role=${2:-server}
cases=${3:-1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*}
port=${FUZZ_PORT:-9301}
python=${AUTOBAHN_PYTHON:-/usr/bin/python3}
case "$impl" in
  ours) server_cmd="node dist/src/cli.js echo --port"; client_cmd='node dist/src/cli.js autobahn --url "$1" --agent "$2"' ;;
  ws) server_cmd="node bench/autobahn-ws-echo.mjs"; client_cmd='node bench/autobahn-ws-client.mjs "$1" "$2"' ;;
  python) server_cmd="$python bench/autobahn-python-echo.py"; client_cmd="$python"' bench/autobahn-python-client.py "$1" "$2"' ;;
  *) echo "usage: scripts/fuzz-compare.sh [ours|ws|python] [server|client] [cases]" >&2; exit 2 ;;
esac
out=reports/compare/$impl-$role
rm -rf "$out"
mkdir -p "$out"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_port() {
  for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "fuzz-compare.sh: nothing listens on port $1" >&2
  return 1
}

# 1. The real suite (its report folder is emptied first, so a failed run copies nothing stale).
rm -rf "reports/$role"
start=$SECONDS
if [ "$role" = server ]; then
  AUTOBAHN_PORT=$port AUTOBAHN_AGENT=$impl AUTOBAHN_SERVER_CMD="$server_cmd" scripts/autobahn.sh server "$cases" >"$out/autobahn.log" 2>&1 || true
  cp -r reports/server "$out/autobahn" || true
else
  AUTOBAHN_PORT=$port AUTOBAHN_AGENT=$impl AUTOBAHN_CLIENT_CMD="$client_cmd" scripts/autobahn.sh client "$cases" >"$out/autobahn.log" 2>&1 || true
  cp -r reports/client "$out/autobahn" || true
fi
autobahn_s=$((SECONDS - start))

# 2. Our fuzzer, same peer, same cases.
start=$SECONDS
if [ "$role" = server ]; then
  bash -c "exec $server_cmd \"\$1\"" _ "$port" >"$out/peer.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
  node dist/src/fuzz/main.js server "ws://127.0.0.1:$port" --cases "$cases" --agent "$impl" --outdir "$out/fuzz" --parallel "${FUZZ_PARALLEL:-2}" >"$out/fuzz.log" 2>&1 || true
else
  node dist/src/fuzz/main.js client --port "$port" --cases "$cases" --outdir "$out/fuzz" >"$out/fuzz.log" 2>&1 &
  fuzzer=$!
  pids+=($fuzzer)
  wait_port "$port"
  bash -c "$client_cmd" _ "ws://127.0.0.1:$port" "$impl" >"$out/peer.log" 2>&1 || true
  # The fuzzer exits after /updateReports; a driver that died before asking for it must not hang us.
  for _ in $(seq 1 300); do kill -0 "$fuzzer" 2>/dev/null || break; sleep 0.1; done
  kill "$fuzzer" 2>/dev/null || true
  wait "$fuzzer" || true
fi
fuzz_s=$((SECONDS - start))

echo "== $impl, $role role ($cases): autobahn ${autobahn_s} s, scriptling-ws fuzz ${fuzz_s} s"
node scripts/fuzz-diff.mjs "$out/autobahn/index.json" "$out/fuzz/index.json" --agent-a "$impl" --agent-b "$impl" --label-a autobahn --label-b fuzz --cases "$cases"
