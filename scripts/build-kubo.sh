#!/usr/bin/env bash
# Build kubo (the IPFS daemon) from the Go module proxy into a cache folder of the repo.
# Plain `go install …@version` refuses kubo because its go.mod has exclude directives,
# so we build it from a scratch module. Takes minutes, once per machine.
set -euo pipefail
version="${KUBO_VERSION:-v0.43.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin_dir="$root/.cache/kubo-$version"
if [ -x "$bin_dir/ipfs" ]; then
  echo "$bin_dir/ipfs"
  exit 0
fi
command -v go >/dev/null || { echo "build-kubo: Go is not installed; kubo cannot be built" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
go mod init kubobuild >/dev/null 2>&1
go get "github.com/ipfs/kubo@$version" >&2
# kubo v0.43.1 replaces go-libp2p with a fork (github.com/lidel/go-libp2p) that the Go
# module proxy does not serve, and a dependency's replace lines do not apply here anyway.
# Upstream go-libp2p v0.49.0 builds when quic-go and webtransport-go are the versions it
# was released with, so pin those instead.
go mod edit \
  -replace=github.com/quic-go/quic-go=github.com/quic-go/quic-go@v0.60.0 \
  -replace=github.com/quic-go/webtransport-go=github.com/quic-go/webtransport-go@v0.11.1
# Getting the command's package (not only the module) records every go.sum entry it needs.
go get "github.com/ipfs/kubo/cmd/ipfs@$version" >&2
mkdir -p "$bin_dir"
go build -o "$bin_dir/ipfs.tmp" github.com/ipfs/kubo/cmd/ipfs >&2
mv "$bin_dir/ipfs.tmp" "$bin_dir/ipfs"
echo "$bin_dir/ipfs"
