#!/usr/bin/env bash
# Build IPFS Cluster (ipfs-cluster-service and ipfs-cluster-ctl) from the Go module proxy
# into a cache folder of the repo, as scripts/build-kubo.sh does for kubo: a scratch module,
# because `go install …@version` refuses modules with exclude directives. Minutes, once.
set -euo pipefail
version="${CLUSTER_VERSION:-v1.1.6}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin_dir="$root/.cache/ipfs-cluster-$version"
if [ -x "$bin_dir/ipfs-cluster-service" ] && [ -x "$bin_dir/ipfs-cluster-ctl" ]; then
  echo "$bin_dir"
  exit 0
fi
command -v go >/dev/null || { echo "build-cluster: Go is not installed; IPFS Cluster cannot be built" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
go mod init clusterbuild >/dev/null 2>&1
go get "github.com/ipfs-cluster/ipfs-cluster@$version" >&2
for cmd in ipfs-cluster-service ipfs-cluster-ctl; do
  go get "github.com/ipfs-cluster/ipfs-cluster/cmd/$cmd@$version" >&2
done
mkdir -p "$bin_dir"
for cmd in ipfs-cluster-service ipfs-cluster-ctl; do
  go build -o "$bin_dir/$cmd.tmp" "github.com/ipfs-cluster/ipfs-cluster/cmd/$cmd" >&2
  mv "$bin_dir/$cmd.tmp" "$bin_dir/$cmd"
done
echo "$bin_dir"
