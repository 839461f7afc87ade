#!/usr/bin/env bash
# Times edustat (release) on a synthetic Guangxi delivery: a full run, an unchanged rerun, and a
# rerun after one input file changed. Numbers go into issue notes, never into tests.
# Usage: scripts/bench.sh [scale]   (default 1.0: real Guangxi magnitudes)
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-1.0}"
target="${CARGO_TARGET_DIR:-target}"
bin="${EDUSTAT_BIN:-$target/release/edustat}"
work="$target/bench/guangxi-$scale"
rm -rf "$work" && mkdir -p "$work/data" "$work/pipelines"
"$bin" sample --preset guangxi --scale "$scale" --seed 2018 -o "$work/data" >/dev/null
sed 's#../data-samples/guangxi/#../data/#' pipelines/guangxi-2018-2020.toml > "$work/pipelines/guangxi.toml"
echo "input: $(du -sh "$work/data" | cut -f1), $(cat "$work"/data/*.csv | wc -l) CSV lines, scale $scale"
t() { /usr/bin/time -f "$1: %e s wall, %M KiB max RSS" "${@:2}" >/dev/null; }
t "full run" "$bin" run "$work/pipelines/guangxi.toml" --out "$work/out" --progress never --log-level error
t "unchanged rerun" "$bin" run "$work/pipelines/guangxi.toml" --out "$work/out" --progress never --log-level error
sed -i 's/^2020,450000,\([0-9]*\),/2020,450000,1\1,/' "$work/data/exchange.csv"
t "rerun, exchange.csv changed" "$bin" run "$work/pipelines/guangxi.toml" --out "$work/out" --progress never --log-level error
t "forced full run" "$bin" run "$work/pipelines/guangxi.toml" --out "$work/out" --progress never --log-level error --force
