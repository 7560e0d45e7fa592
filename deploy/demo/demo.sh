#!/usr/bin/env bash
# `make demo`: start local SeaweedFS + kubo, publish content/ to two buckets, IPFS and a
# folder with the repository's own mirrorpub.toml, and print the URLs a reader can open.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
py=.venv/bin/python
mirrors=()
deploy/demo/services.sh start
case $? in
  0) ;;
  10) echo "demo: publishing without IPFS"; mirrors=(--mirror demo-bucket-a --mirror demo-bucket-b --mirror usb) ;;
  *) exit 1 ;;
esac
set -e
set -a; . demo/credentials.env; set +a

# The owner's one-time step (mirrorpub never widens access itself): buckets, public-read.
$py deploy/demo/make_buckets.py http://127.0.0.1:18333 newsroom-mirror-a newsroom-mirror-b

if [ ! -f demo/site.key ]; then
  echo "demo: making a signing key (demo/site.key); its public key:"
  .venv/bin/mirrorpub keygen demo/site.key | tee demo/site.pub
fi
export MIRRORPUB_SIGNING_KEY="$root/demo/site.key"
status=0
.venv/bin/mirrorpub publish "${mirrors[@]}" || status=$?
echo
$py deploy/demo/show_urls.py demo/usb-copy/mirrors.json
echo
echo "Check a copy:   .venv/bin/mirrorpub verify http://127.0.0.1:18333/newsroom-mirror-a/ --key demo/site.pub"
echo "Health of all:  MIRRORPUB_SIGNING_KEY=demo/site.key .venv/bin/mirrorpub status"
echo "Stop services:  make demo-stop"
exit $status
