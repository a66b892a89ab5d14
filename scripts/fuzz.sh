#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ on the stable toolchain.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     (default: all, 60 seconds each)
#
# Targets: tokens text ndjson tool_args differential. Each runs single-process for
# SECONDS, seeded from fuzz/seeds/<target>/ (committed, derived from tests/corpus/) and
# growing fuzz/corpus/<target>/ (gitignored). A crash, leak or timeout makes the script
# exit 1 after the remaining targets have run; the input is in fuzz/artifacts/<target>/.
# Reproduce one with: RUSTC_BOOTSTRAP=1 cargo fuzz run -a <target> <artifact>
#
# cargo-fuzz is installed from crates.io when missing. When it cannot be installed the
# script exits 2, or 0 with FUZZ_OPTIONAL=1 (for CI on machines without crates.io).
#
# cargo fuzz needs nightly-only flags (-Zsanitizer); RUSTC_BOOTSTRAP=1 lets stable rustc
# accept them. Set FUZZ_TOOLCHAIN to use another rustup toolchain. Extra libFuzzer
# options can be passed in FUZZ_ARGS (e.g. FUZZ_ARGS="-jobs=2 -workers=2").
# FUZZ_TARGET_DIR builds elsewhere than fuzz/target: CI points it at a cache outside the
# clone, so the first build's ten minutes are not paid again on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(tokens text ndjson tool_args differential)
target=${1:-all}
seconds=${2:-60}

if [[ $target == all ]]; then
    targets=("${ALL_TARGETS[@]}")
elif [[ " ${ALL_TARGETS[*]} " == *" $target "* ]]; then
    targets=("$target")
else
    echo "usage: scripts/fuzz.sh [$(IFS='|'; echo "${ALL_TARGETS[*]}")|all] [SECONDS]" >&2
    exit 64
fi
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "SECONDS must be a positive integer, not '$seconds'" >&2
    exit 64
fi

if command -v rustup >/dev/null 2>&1; then
    export RUSTUP_TOOLCHAIN=${FUZZ_TOOLCHAIN:-stable}
fi
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz from crates.io" >&2
    if ! cargo install cargo-fuzz --locked; then
        if [[ ${FUZZ_OPTIONAL:-0} == 1 ]]; then
            echo "fuzz.sh: cargo-fuzz cannot be installed; skipping the fuzz run (FUZZ_OPTIONAL=1)" >&2
            exit 0
        fi
        echo "fuzz.sh: cargo-fuzz cannot be installed" >&2
        exit 2
    fi
fi

dict=$PWD/fuzz/dict/harmony.dict
logs=fuzz/target/fuzz-logs
mkdir -p "$logs"
failed=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/seeds/$t"
    opts=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1)
    case $t in
        text | ndjson | tool_args) opts+=(-dict="$dict") ;;
        # Without length control, libFuzzer grows differential's inputs (and with them
        # the conversations compared) to thousands of tokens within minutes instead of
        # keeping them at a few dozen bytes (fuzz/README.md, Runs).
        differential) opts+=(-len_control=0 -max_len=8192) ;;
    esac
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
    echo "fuzz.sh: cargo fuzz run -a $t fuzz/corpus/$t fuzz/seeds/$t -- ${opts[*]} ${FUZZ_ARGS:-}" >&2
    start=$(date +%s)
    set +e
    cargo fuzz run -a ${FUZZ_TARGET_DIR:+--target-dir "$FUZZ_TARGET_DIR"} "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- "${opts[@]}" ${FUZZ_ARGS:-} 2>&1 | tee "$logs/$t.log"
    status=${PIPESTATUS[0]}
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | tail -1 | grep -o '[0-9]*$' || true)
    echo "fuzz.sh: $t: exit $status after $(($(date +%s) - start)) s, ${runs:-?} executions, corpus $(find "fuzz/corpus/$t" -type f | wc -l) files" >&2
    if ((status != 0)); then
        failed+=("$t")
    fi
done

if ((${#failed[@]})); then
    # What failed, last, so that a CI log cut to its tail still shows it: the failure's
    # own lines (panic message, sanitizer report, libFuzzer's verdict) and each input,
    # base64-encoded (decode with `base64 -d > crash` and run it as above).
    for t in "${failed[@]}"; do
        echo "fuzz.sh: $t failed; the report:" >&2
        grep -a -E -A12 "panicked at|ERROR: |==[0-9]+==|deadly signal|out-of-memory|Timeout|error(\[E[0-9]+\])?:" "$logs/$t.log" | head -60 >&2 || true
        for f in fuzz/artifacts/"$t"/*; do
            [[ -f $f ]] || continue
            echo "fuzz.sh: $f ($(wc -c <"$f") bytes), base64:" >&2
            base64 -w 100 "$f" | head -40 >&2
        done
    done
    echo "fuzz.sh: FAILED: ${failed[*]} (inputs in fuzz/artifacts/<target>/, logs in $logs/)" >&2
    exit 1
fi
echo "fuzz.sh: no crash in ${targets[*]}" >&2
