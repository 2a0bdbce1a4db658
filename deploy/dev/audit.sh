#!/usr/bin/env bash
# make audit: Lighthouse (mobile) and axe-core on the residents' pages of a
# local `yicha serve` over the embedded corpus, in Debian's Chromium.
#
# Installs what is missing: Debian's chromium, fonts-noto-cjk, nodejs and
# npm, and the pinned npm packages (lighthouse, axe-core, puppeteer-core,
# without a browser download) into $AUDIT_CACHE (default
# ~/.cache/yicha-audit), once. Serves a fresh index from a temporary
# directory on a free loopback port, runs deploy/dev/audit.mjs, stops the
# server and removes the directory. Fails when accessibility is below 100
# or axe finds a violation. Not part of make test: scores depend on the
# machine's load.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${BIN:-bin/yicha}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CACHE=${AUDIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/yicha-audit}
PACKAGES="lighthouse@12.8.2 axe-core@4.10.3 puppeteer-core@24.43.1"

missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
fc-list 2>/dev/null | grep -i 'noto.*cjk' >/dev/null || missing+=(fonts-noto-cjk)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing ${missing[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

mkdir -p "$CACHE"
if [ "$(cat "$CACHE/.installed" 2>/dev/null)" != "$PACKAGES" ]; then
	echo "installing $PACKAGES into $CACHE"
	[ -f "$CACHE/package.json" ] || echo '{"private": true}' >"$CACHE/package.json"
	# shellcheck disable=SC2086 # one word per package
	(cd "$CACHE" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error $PACKAGES)
	echo "$PACKAGES" >"$CACHE/.installed"
fi
cp deploy/dev/audit.mjs "$CACHE/audit.mjs"

tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
base="http://127.0.0.1:$port"
"$BIN" index --data "$tmp/data" >/dev/null
"$BIN" serve --data "$tmp/data" --addr "127.0.0.1:$port" --rate-limit 0 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do
	curl -fs "$base/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
if ! curl -fs "$base/readyz" >/dev/null; then
	echo "yicha serve did not become ready:" >&2
	cat "$tmp/serve.log" >&2
	exit 1
fi
CHROMIUM="$CHROMIUM" node "$CACHE/audit.mjs" "$base"
