#!/usr/bin/env bash
# Times edustat (release) on a full-scale synthetic Guangxi delivery. Numbers go into issue
# notes, never into tests. Usage: scripts/bench.sh [scale]
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-1.0}"
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/edustat"
work="$target/bench/guangxi-$scale"
rm -rf "$work" && mkdir -p "$work/data" "$work/pipelines"
"$bin" sample --preset guangxi --scale "$scale" --seed 2018 -o "$work/data" >/dev/null
sed 's#../data-samples/guangxi/#../data/#' pipelines/guangxi-2018-2020.toml > "$work/pipelines/guangxi.toml"
echo "input: $(du -sh "$work/data" | cut -f1) at scale $scale"
for i in 1 2 3; do
  /usr/bin/time -f "run $i: %e s wall, %M KiB max RSS" "$bin" run "$work/pipelines/guangxi.toml" --out "$work/out" --log-level error >/dev/null
done
