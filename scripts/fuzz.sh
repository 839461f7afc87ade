#!/usr/bin/env bash
# Fuzz the input path (issue 6): `make fuzz` runs each target for FUZZ_SECONDS (default 600).
#   FUZZ_TARGETS   which targets (default: "csv xlsx xlsx_cells")
#   FUZZ_SECONDS   seconds per target
#   FUZZ_JOBS      targets run side by side (default 1; the machine has 2 cores)
# cargo-fuzz needs nightly-only compiler flags; on the stable toolchain RUSTC_BOOTSTRAP=1
# unlocks them for this build only. Findings land in fuzz/artifacts/<target>/; each fixed one
# becomes a case of tests/fixtures/bad/cases.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-600}
targets=${FUZZ_TARGETS:-"csv xlsx xlsx_cells"}
jobs=${FUZZ_JOBS:-1}
target_dir=${FUZZ_TARGET_DIR:-$HOME/.cache/edustat/fuzz-target}
export RUSTC_BOOTSTRAP=1
export PATH="$PWD/.tools/bin:$PATH"

# Seed corpus: the bundled samples and the bad-input catalogue, as files arrive. Large sample
# files are cut after their first 4 KiB of whole lines: the fuzzer mutates small inputs faster
# and the structure is all in the first lines.
seed() {
    local target=$1 ext=$2 dir=fuzz/corpus/$1
    mkdir -p "$dir"
    for f in data-samples/guangxi/*."$ext" tests/fixtures/bad/*."$ext" tests/fixtures/tiny/*."$ext" fuzz/seeds/*."$ext"; do
        [ -e "$f" ] || continue
        local name size
        name="seed-$(echo "${f%/*}" | tr '/' '-')-${f##*/}"
        size=$(wc -c < "$f")
        if [ "$ext" = csv ] && [ "$size" -gt 4096 ]; then
            head -c 4096 "$f" | sed '$d' > "$dir/$name"
        elif [ "$size" -le 65536 ]; then
            # Workbooks cannot be cut (the zip directory is at the end): fuzz/seeds holds
            # small ones in the samples' shape (python3 fuzz/make_seeds.py).
            cp "$f" "$dir/$name"
        fi
    done
}
seed csv csv
seed xlsx xlsx
# xlsx_cells takes grids as text: the CSV seeds, and a merged two-row header.
mkdir -p fuzz/corpus/xlsx_cells
cp fuzz/corpus/csv/seed-* fuzz/corpus/xlsx_cells/
cp fuzz/seeds/*.txt fuzz/corpus/xlsx_cells/ 2>/dev/null || true

# Inputs up to 64 KiB; 4 GiB of memory and 30 s per input before libFuzzer calls it a finding.
run() {
    local target=$1
    echo "== fuzz $target for ${seconds}s"
    cargo fuzz run --sanitizer none --target-dir "$target_dir" "$target" \
        -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=30 \
           -print_final_stats=1 2>&1 | tee "fuzz/$target.log" | grep -E "^(#[0-9]+ +(INITED|DONE|pulse))|stat::|SUMMARY|panicked|ERROR" || true
}

cargo fuzz build --sanitizer none --target-dir "$target_dir"
if [ "$jobs" -gt 1 ]; then
    for t in $targets; do run "$t" & done
    wait
else
    for t in $targets; do run "$t"; done
fi
findings=$(find fuzz/artifacts -type f 2>/dev/null | sort)
if [ -n "$findings" ]; then
    echo "findings (reproduce: RUSTC_BOOTSTRAP=1 .tools/bin/cargo-fuzz run --sanitizer none <target> <file>):"
    echo "$findings"
    exit 1
fi
echo "no findings"
