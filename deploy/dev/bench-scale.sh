#!/usr/bin/env bash
# bench-scale.sh: yicha beside the Xapian+jieba peer at scale, in one run.
# The generated corpus of the search benchmarks (search.scaleCorpus, each
# document joining two texts of $SHARED/data) and a fixed selection of real
# questions are written as a BEIR set to a temporary directory, removed
# after; `yicha eval` and the peer index and answer the same files, one after
# the other; then one table: build rate and per-question p50 and p99 of each,
# and the ratios yicha / peer. Run by `make bench-scale` after the build.
set -euo pipefail
GO=${GO:-go} BIN=${BIN:-bin/yicha} PY=${PY:-/usr/bin/python3} SHARED=${SHARED:-../shared}
SCALE_DOCS=${SCALE_DOCS:-100000} SCALE_QUESTIONS=${SCALE_QUESTIONS:-1000}

tmp=$(mktemp -d /tmp/yicha-bench-scale.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
step() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

step "writing $SCALE_DOCS generated documents and $SCALE_QUESTIONS questions as a BEIR set"
YICHA_SCALE_BEIR=$tmp YICHA_SCALE_DOCS=$SCALE_DOCS YICHA_SCALE_QUESTIONS=$SCALE_QUESTIONS \
	"$GO" test ./search -run '^TestWriteScaleBEIR$' -count=1 >"$tmp/write.log" 2>&1 \
	|| { cat "$tmp/write.log" >&2; exit 1; }
step "yicha eval: building the index, then each question ranked and asked as /api/search"
"$BIN" eval --corpus "$tmp/corpus.jsonl" --queries "$tmp/queries.jsonl" --qrels "$tmp/qrels.tsv" \
	--data "$tmp/yicha" >"$tmp/yicha.out"
step "xapian-jieba: building the index, then each question ranked"
# The peer leaves its database in a directory of its own under TMPDIR.
TMPDIR=$tmp "$PY" "$SHARED/peers/beir_peer.py" "$tmp" --peer xapian-jieba >"$tmp/peer.out" 2>"$tmp/peer.err" \
	|| { cat "$tmp/peer.err" >&2; exit 1; }

echo
echo "$SCALE_DOCS documents, $SCALE_QUESTIONS questions, $(nproc) CPUs"
awk '
	function field(key,   i) { for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) return substr($i, length(key) + 2) + 0; return "" }
	FILENAME ~ /yicha.out$/ && /^index:/ { ydocs = $2; ys = $5 + 0 }
	FILENAME ~ /yicha.out$/ && /^queries:/ { yq = $2; r50 = field("p50"); r99 = field("p99") }
	FILENAME ~ /yicha.out$/ && /^api:/ { a50 = field("p50"); a99 = field("p99") }
	FILENAME ~ /peer.out$/ { xq = field("queries"); xdocs = field("docs"); xs = field("index_s"); x50 = field("p50_ms"); x99 = field("p99_ms") }
	END {
		if (ys == "" || r50 == "" || a50 == "" || xs == "" || x50 == "") { print "bench-scale: could not read the figures" > "/dev/stderr"; exit 1 }
		if (ydocs != xdocs || yq != xq) printf "warning: yicha read %d documents and %d questions, the peer %d and %d\n", ydocs, yq, xdocs, xq
		printf "%-44s %12s %9s %9s %9s\n", "engine, path", "build docs/s", "build s", "p50 ms", "p99 ms"
		printf "%-44s %12.0f %9.1f %9.2f %9.2f\n", "yicha, ranking (first 100 ids)", ydocs / ys, ys, r50, r99
		printf "%-44s %12s %9s %9.2f %9.2f\n", "yicha, /api/search path (page of 10)", "", "", a50, a99
		printf "%-44s %12.0f %9.1f %9.2f %9.2f\n", "xapian-jieba, ranking (first 100 ids)", xdocs / xs, xs, x50, x99
		printf "yicha / xapian-jieba: build rate x%.2f; ranking p50 x%.2f, p99 x%.2f; as /api/search p50 x%.2f, p99 x%.2f\n",
			(ydocs / ys) / (xdocs / xs), r50 / x50, r99 / x99, a50 / x50, a99 / x99
	}' "$tmp/yicha.out" "$tmp/peer.out"
