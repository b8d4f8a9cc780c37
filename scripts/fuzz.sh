#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ with the fuzzer and address sanitizers and runs each for SECONDS
# (default 30). Exit status 1 and a reproducer under .build/fuzz/artifacts/ when any input crashes, hangs or leaks.
#   scripts/fuzz.sh            # 30 s per target (what make test runs)
#   scripts/fuzz.sh 600        # longer, on demand (make fuzz FUZZ_SECONDS=600)
#   .build/fuzz/.../FuzzImport .build/fuzz/artifacts/crash-…   # replay one input
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
swift=${SWIFT:-$(command -v swift || echo /opt/swift/usr/bin/swift)}
scratch=.build/fuzz
"$swift" build --package-path Fuzz --scratch-path "$scratch" -c release --sanitize fuzzer --sanitize address 2>&1 |
    grep -vE '^(warning: .*(Invalid Exclude|you may be able to install)|\[[0-9]+/[0-9]+\] )' || true
bin=$("$swift" build --package-path Fuzz --scratch-path "$scratch" -c release --sanitize fuzzer --sanitize address --show-bin-path)
mkdir -p "$scratch/artifacts"
status=0
for target in FuzzPayloads FuzzImport; do
    seeds=Fuzz/corpus/$([ "$target" = FuzzPayloads ] && echo payloads || echo import)
    work="$scratch/corpus/$target"
    mkdir -p "$work"
    echo "fuzz: $target for ${seconds}s (seeds: $seeds)"
    # -max_len 4096 covers every QR payload and small files; -timeout flags any input that takes over 5 s.
    if ! "$bin/$target" "$work" "$seeds" -max_total_time="$seconds" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
        -artifact_prefix="$scratch/artifacts/$target-" -print_final_stats=1 >"$scratch/$target.log" 2>&1; then
        status=1
        echo "fuzz: $target FAILED; see $scratch/$target.log and $scratch/artifacts/"
        grep -E 'ERROR|Fatal|SUMMARY|Test unit written' "$scratch/$target.log" | head -20 || true
    else
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$scratch/$target.log" | tr '\n' ' '
        echo "— no crash"
    fi
done
exit $status
