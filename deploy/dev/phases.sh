#!/usr/bin/env bash
# phases.sh TARGET…: runs each make target in turn, stops at the first that
# fails, and prints how long each took at the end (also after a failure).
set -uo pipefail
make=${MAKE:-make}
names=() secs=() status=0
for target in "$@"; do
	start=$(date +%s.%N)
	$make --no-print-directory "$target"
	status=$?
	names+=("$target")
	secs+=("$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')")
	[ "$status" -eq 0 ] || break
done
echo
echo "phase times:"
total=0
for i in "${!names[@]}"; do
	printf '  %-14s %8ss\n' "${names[$i]}" "${secs[$i]}"
	total=$(awk -v a="$total" -v b="${secs[$i]}" 'BEGIN {printf "%.1f", a + b}')
done
printf '  %-14s %8ss\n' total "$total"
[ "$status" -eq 0 ] || echo "failed in: ${names[-1]}"
exit "$status"
