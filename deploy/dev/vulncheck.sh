#!/usr/bin/env bash
# vulncheck.sh [GOVULNCHECK FLAGS…]: runs govulncheck over ./... against a
# vulnerability database built here, offline, from a pinned version of the
# golang.org/x/vulndb module (fetched like any module, through the Go module
# proxy), so nothing but the module proxy is reached. Prints the vulnerable
# symbols the code calls and fails when one of them is neither fixed nor
# accepted below. With flags (for example -show verbose), govulncheck's own
# text report is printed as well.
#
# To move to newer data or a newer scanner, change the versions below: a
# version of golang.org/x/vulndb is a pseudo-version of one of its commits.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

GOVULNCHECK_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
# Called vulnerabilities that are accepted: echo v4 advisories whose entries
# record no fixed v4 version (echo v4.16.3 fixed both), mitigated in the code
# besides; README.md, "Operations: known vulnerabilities", says how. The
# report says when one of them is no longer found.
ACCEPTED=GO-2026-6872,GO-2026-6875

tmp=$(mktemp -d /tmp/yicha-vulncheck.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "govulncheck $GOVULNCHECK_VERSION, golang.org/x/vulndb $VULNDB_VERSION, $(go version)" >&2
GOBIN=$tmp/bin go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
# Outside the module, so that go.sum is left alone.
dir=$(go -C "$tmp" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir/data/osv" ]; then
	echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2
	exit 2
fi
go build -o "$tmp/bin/vulncheck" ./deploy/dev/vulncheck
"$tmp/bin/vulncheck" db -osv "$dir/data/osv" -out "$tmp/db"

# One scan, as JSON; govulncheck's exit status 3 only says it found something.
status=0
"$tmp/bin/govulncheck" -db "file://$tmp/db" -format json ./... > "$tmp/scan.json" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
	echo "vulncheck: govulncheck failed (exit $status)" >&2
	exit "$status"
fi
if [ $# -gt 0 ]; then
	"$tmp/bin/govulncheck" -mode convert "$@" < "$tmp/scan.json" || true
	echo
fi
"$tmp/bin/vulncheck" report -accept "$ACCEPTED" < "$tmp/scan.json"
