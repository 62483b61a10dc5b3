#!/usr/bin/env bash
# `make stop` then `make run` always works (issue 23): `make stop`, `make run`, the API answers,
# twice in a row, then a last `make stop`. When `make stop` returns, every process it was to stop
# must have exited and every port must be closed. A stack of its own (ports, PID files, demo
# district, signing keys) beside the one `make test` or `make run` use on 8000/5000/8080.
#   RESTART_CHECK_PORTS="DYNAMODB MOTO API" (default "8100 5100 8180"), RESTART_CHECK_STUDENTS (300)
# One line per step; on failure, the step that failed, the end of the log, and exit status 1.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
read -r dynamodb_port moto_port api_port <<<"${RESTART_CHECK_PORTS:-8100 5100 8180}"
students="${RESTART_CHECK_STUDENTS:-300}"
dir=.local/restart-check
run_dir="$dir/run"
log="$dir/check.log"
mkdir -p "$dir"
: >"$log"
# This check's own make, not the caller's flags or variables (make test's, for one).
unset MAKEFLAGS MFLAGS MAKELEVEL
export SIGNING_KEYS_FILE="$root/$dir/signing-keys.json"
names=(dynamodb moto local-server)
ports=("$dynamodb_port" "$moto_port" "$api_port")

make_() {
  "${MAKE:-make}" --no-print-directory DYNAMODB_PORT="$dynamodb_port" MOTO_PORT="$moto_port" \
    PORT="$api_port" RUN_DIR="$run_dir" DEMO_DIR="$dir/demo" DEMO_STUDENTS="$students" "$@"
}

open_port() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Exited: no such process, or a zombie (exited, not yet reaped by PID 1; stack.sh's rule too).
exited() {
  kill -0 "$1" 2>/dev/null || return 0
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null || ps -o stat= -p "$1" 2>/dev/null)" || return 0
  [[ "${stat##*) }" == Z* ]]
}

step=start
stopped_cleanly=0
fail() { echo "restart-check: FAILED at step '$step': $*" >&2; exit 1; }
ok() { echo "restart-check: ok  $step${1:+ ($1)}"; }

cleanup() {
  local rc=$?
  trap - EXIT
  if [ "$stopped_cleanly" != 1 ]; then
    if [ "$rc" -ne 0 ]; then
      echo "restart-check: the end of $log:" >&2
      tail -n 25 "$log" | sed 's/^/  | /' >&2
    fi
    make_ stop >>"$log" 2>&1 || { echo "restart-check: cleanup: 'make stop' failed; see $log" >&2; rc=1; }
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# `make stop`, then, at the moment it returns: the processes whose PIDs were recorded before it
# have exited, their PID files are gone, and no port of this stack is open.
check_stop() {
  step="$1"
  local pids=() i pid
  for i in "${!names[@]}"; do
    if [ -f "$run_dir/${names[$i]}.pid" ]; then pids+=("${names[$i]}:$(cat "$run_dir/${names[$i]}.pid")"); fi
  done
  echo "== $step: make stop" >>"$log"
  make_ stop >>"$log" 2>&1 || fail "make stop failed"
  for pid in "${pids[@]}"; do
    exited "${pid#*:}" || fail "${pid%%:*} (PID ${pid#*:}) is still running when make stop returns"
  done
  for i in "${!names[@]}"; do
    [ ! -f "$run_dir/${names[$i]}.pid" ] || fail "$run_dir/${names[$i]}.pid is still there after make stop"
    ! open_port "${ports[$i]}" || fail "port ${ports[$i]} (${names[$i]}) is still open when make stop returns"
  done
  ok "${#pids[@]} processes stopped, ports ${ports[*]} closed"
}

# `make run`, then: its three processes run from this checkout (nothing foreign on the ports) and
# the API answers GET /users with the demo client's token (got as `make run` prints it).
check_run() { # step, API step
  step="$1"
  local i mark
  mark=$(wc -l <"$log")
  echo "== $step: make run" >>"$log"
  make_ run >>"$log" 2>&1 || fail "make run failed"
  if tail -n +"$((mark + 1))" "$log" | grep -q "not started from this checkout"; then
    fail "make run used a server it did not start (a port was still open)"
  fi
  for i in "${!names[@]}"; do
    if [ ! -f "$run_dir/${names[$i]}.pid" ] || exited "$(cat "$run_dir/${names[$i]}.pid")"; then
      fail "${names[$i]} is not running from $run_dir/${names[$i]}.pid"
    fi
  done
  ok
  step="$2"
  local client id secret token status body
  client="$run_dir/demo-client.json"
  id=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["client_id"])' "$client") || fail "no client id in $client"
  secret=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["client_secret"])' "$client") || fail "no client secret in $client"
  token=$(curl -sf -u "$id:$secret" -d grant_type=client_credentials "http://127.0.0.1:$api_port/oauth/token" \
    | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])') || fail "no token from /oauth/token"
  body="$dir/users.json"
  status=$(curl -s -o "$body" -w '%{http_code}' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$api_port/ims/oneroster/rostering/v1p2/users?limit=1") || fail "GET /users: no answer"
  [ "$status" = 200 ] || fail "GET /users answered $status: $(head -c 300 "$body")"
  python3 -c 'import json,sys;assert isinstance(json.load(open(sys.argv[1]))["users"], list)' "$body" 2>/dev/null \
    || fail "GET /users answered 200 without a JSON body holding users: $(head -c 300 "$body")"
  ok "GET /users?limit=1: 200 with users"
}

echo "restart-check: ports DynamoDB $dynamodb_port, moto $moto_port, API $api_port; run dir $run_dir; log $log"
check_stop "stop 1 (before the first run)"
check_run "run 1" "api 1"
check_stop "stop 2 (right after run 1)"
check_run "run 2 (right after stop 2)" "api 2"
check_stop "stop 3 (the end)"
stopped_cleanly=1
echo "restart-check: passed"
