#!/usr/bin/env bash
# Local demo services for `make demo`: SeaweedFS (S3) and kubo (IPFS) on loopback,
# data under demo/ (gitignored). Usage: services.sh start|stop|status
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
demo="$root/demo"
weed="$root/.venv/bin/weed"
S3_PORT=18333 KUBO_API_PORT=15001 KUBO_GATEWAY_PORT=18080

credentials() {
  # Throwaway credentials for a loopback-only server, made on first start, never committed.
  mkdir -p "$demo"
  if [ ! -f "$demo/credentials.env" ]; then
    umask 077
    printf 'DEMO_S3_KEY=demo%s\nDEMO_S3_SECRET=%s\n' \
      "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" \
      "$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')" > "$demo/credentials.env"
  fi
  set -a; . "$demo/credentials.env"; set +a
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {  # url, name
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null -X POST "$1" || curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.2
  done
  echo "demo: $2 did not start; see $demo/$2.log" >&2; exit 1
}

start_seaweed() {
  running "$demo/seaweed.pid" && return 0
  mkdir -p "$demo/seaweed"
  AWS_ACCESS_KEY_ID="$DEMO_S3_KEY" AWS_SECRET_ACCESS_KEY="$DEMO_S3_SECRET" nohup "$weed" mini \
    -dir="$demo/seaweed" -ip=127.0.0.1 -ip.bind=127.0.0.1 -webdav=false -admin.ui=false \
    -s3.port=$S3_PORT -master.port=18330 -master.port.grpc=18331 -volume.port=18332 \
    -volume.port.grpc=18334 -filer.port=18335 -filer.port.grpc=18336 -s3.port.grpc=18337 \
    -admin.port=18338 -admin.port.grpc=18339 -s3.port.lance=18340 -s3.port.iceberg=18341 -master.volumeSizeLimitMB=64 \
    > "$demo/seaweed.log" 2>&1 &
  echo $! > "$demo/seaweed.pid"
  wait_for "http://127.0.0.1:$S3_PORT/" seaweed
}

start_kubo() {
  local ipfs="$1"
  running "$demo/kubo.pid" && return 0
  export IPFS_PATH="$demo/kubo"
  if [ ! -f "$IPFS_PATH/config" ]; then
    "$ipfs" init --profile=test --empty-repo >/dev/null
    "$ipfs" config Addresses.API "/ip4/127.0.0.1/tcp/$KUBO_API_PORT"
    "$ipfs" config Addresses.Gateway "/ip4/127.0.0.1/tcp/$KUBO_GATEWAY_PORT"
    "$ipfs" config --json Addresses.Swarm '[]'
    "$ipfs" config --json Bootstrap '[]'
  fi
  # Offline: the demo never reaches for the internet. A real node runs online.
  IPFS_TELEMETRY=off nohup "$ipfs" daemon --offline > "$demo/kubo.log" 2>&1 &
  echo $! > "$demo/kubo.pid"
  wait_for "http://127.0.0.1:$KUBO_API_PORT/api/v0/version" kubo
}

stop() {
  for name in seaweed kubo; do
    if running "$demo/$name.pid"; then
      pid="$(cat "$demo/$name.pid")"
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
      echo "stopped $name"
    fi
    rm -f "$demo/$name.pid"
  done
}

case "${1:-start}" in
  start)
    credentials
    start_seaweed
    if ipfs="$("$root/scripts/build-kubo.sh" 2>"$demo/kubo-build.log")"; then
      start_kubo "$ipfs"
    else
      echo "demo: kubo could not be built (see $demo/kubo-build.log); IPFS is left out" >&2
      exit 10
    fi ;;
  stop) stop ;;
  status) for n in seaweed kubo; do running "$demo/$n.pid" && echo "$n running" || echo "$n stopped"; done ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
