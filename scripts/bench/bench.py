"""`make bench`: edustat (release) against DuckDB on the same synthetic deliveries, in one run
with alternating rounds, and how edustat's memory grows with the input. Numbers go into issue
notes, never into tests.

usage: python bench.py [--bin target/release/edustat] [--rounds 3] [--preset guangxi:1.0 ...]
                       [--growth guangxi:0.05,0.25,0.5,1.0 --growth national:0.01,0.05,0.1,0.2]

For each preset and scale: `edustat sample` writes the delivery (seed 2018), the pipeline file
is copied with its paths pointed at it, and each round runs, one after the other,
  edustat   a forced full run (every indicator, every gate, published),
  duckdb    scripts/bench/duckdb_slice.py slice: typed reads of every file, wide to long,
            retired codes to successors, the three GERs by sex, 56+/66+ class shares and
            pupil-teacher ratios for county, city and province, written as Parquet,
  floor     scripts/bench/duckdb_slice.py floor: every file read as text,
each under /usr/bin/time (wall seconds, peak RSS). The median of the rounds is reported, with
edustat's ingest time from its manifest, its unchanged rerun, and the ratios.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
PIPELINES = {
    "guangxi": ("pipelines/guangxi-2018-2020.toml", "../data-samples/guangxi/"),
    "national": ("pipelines/national-2016-2020.toml", "../data-samples/national/"),
}


def timed(cmd):
    """(wall seconds, peak RSS in MB, stdout) of a command run under /usr/bin/time."""
    run = subprocess.run(
        ["/usr/bin/time", "-f", "BENCH %e %M", *cmd], capture_output=True, text=True
    )
    if run.returncode != 0:
        sys.exit(f"failed ({run.returncode}): {' '.join(cmd)}\n{run.stdout}\n{run.stderr}")
    wall, kib = re.search(r"BENCH ([0-9.]+) ([0-9]+)", run.stderr).groups()
    return float(wall), int(kib) / 1024, run.stdout


def prepare(binary, preset, scale, work):
    """The delivery and its pipeline file under `work`; returns (pipeline, data folder, MB)."""
    data = work / "data"
    if not (data / ".complete").exists():
        shutil.rmtree(work, ignore_errors=True)
        data.mkdir(parents=True)
        subprocess.run([binary, "sample", "--preset", preset, "--scale", str(scale), "--seed", "2018",
                        "-o", str(data)], check=True, capture_output=True)
        (data / ".complete").touch()
    source, prefix = PIPELINES[preset]
    text = (REPO / source).read_text(encoding="utf-8").replace(prefix, "../data/")
    (work / "pipelines").mkdir(exist_ok=True)
    shutil.copytree(REPO / "pipelines" / "shared", work / "pipelines" / "shared", dirs_exist_ok=True)
    pipeline = work / "pipelines" / pathlib.Path(source).name
    pipeline.write_text(text, encoding="utf-8")
    size = sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 1e6
    return pipeline, data, size


def ingest_seconds(out):
    latest = next(out.glob("*/latest"))
    stages = json.loads((latest / "manifest.json").read_text())["stages"]
    return {s["stage"]: s["millis"] / 1000 for s in stages}


def measure(binary, python, preset, scale, rounds):
    work = REPO / "target" / "bench" / f"{preset}-{scale}"
    pipeline, data, size = prepare(binary, preset, scale, work)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    runs = {"edustat": [], "duckdb": [], "floor": []}
    stages = []
    slice_py = str(HERE / "duckdb_slice.py")
    for _ in range(rounds):
        runs["edustat"].append(timed([binary, "run", str(pipeline), "--out", str(out), "--force",
                                      "--progress", "never", "--log-level", "error"])[:2])
        stages.append(ingest_seconds(out))
        runs["duckdb"].append(timed([python, slice_py, "slice", str(data), str(data / "divisions.csv"),
                                     str(work / "duckdb")])[:2])
        runs["floor"].append(timed([python, slice_py, "floor", str(data)])[:2])
    again = [binary, "run", str(pipeline), "--out", str(out), "--progress", "never", "--log-level", "error"]
    # The first rerun after a publish reads the run's own files once (written since the last
    # hashes were remembered); the next one finds every file remembered.
    rerun = timed(again)
    steady = timed(again)
    # One input changes (Guangxi's exchange.csv, or one province's finance.csv): a nightly run
    # after one corrected file.
    exchange = next(iter(sorted(data.rglob("exchange.csv")) + sorted(data.rglob("finance.csv"))))
    original = exchange.read_bytes()
    # One more student abroad in the last year: one input changes, the others are reused.
    lines = original.decode("utf-8").splitlines(keepends=True)
    lines[-1] = re.sub(r"^(\d{4},\d+,)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1), lines[-1])
    exchange.write_text("".join(lines), encoding="utf-8")
    changed = timed(again)
    exchange.write_bytes(original)
    province = province_changed(data, again)
    median = {k: (statistics.median(w for w, _ in v), max(m for _, m in v)) for k, v in runs.items()}
    stage = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
    return {"preset": preset, "scale": scale, "input_mb": size, "median": median, "stages": stage,
            "rerun": rerun[0], "steady": steady[0], "changed": changed[0], "changed_file": str(exchange.relative_to(data)),
            "province": province,
            "rounds": rounds}


def province_changed(data, again):
    """A national night on which one province's whole delivery changed: one more in the last
    number of the last row of each of its CSV files. (wall seconds, files changed), or None for a
    delivery without province folders."""
    folders = sorted(p for p in data.iterdir() if p.is_dir() and any(p.glob("*.csv")))
    if not folders:
        return None
    files = sorted(folders[0].glob("*.csv"))
    originals = {f: f.read_bytes() for f in files}
    for f, body in originals.items():
        lines = body.rstrip().split(b"\n")
        cells = lines[-1].rstrip(b"\r").split(b",")
        for i in reversed(range(len(cells))):
            if cells[i].isdigit():
                cells[i] = str(int(cells[i]) + 1).encode()
                break
        lines[-1] = b",".join(cells)
        f.write_bytes(b"\n".join(lines) + b"\n")
    try:
        return timed(again)[0], f"{folders[0].name}/ ({len(files)} files)"
    finally:
        for f, body in originals.items():
            f.write_bytes(body)


def report(r):
    e, d, f = (r["median"][k] for k in ("edustat", "duckdb", "floor"))
    s = r["stages"]
    print(f"\n## {r['preset']} scale {r['scale']}: {r['input_mb']:.1f} MB of input, median of {r['rounds']} alternating rounds\n")
    print("| | wall | peak RSS | vs DuckDB slice |")
    print("| --- | --- | --- | --- |")
    print(f"| edustat forced full run | {e[0]:.2f} s | {e[1]:.0f} MB | {e[0] / d[0]:.2f}x |")
    print(f"| DuckDB slice (duckdb_slice.py) | {d[0]:.2f} s | {d[1]:.0f} MB | 1.00x |")
    print(f"| parse floor (every file as text) | {f[0]:.2f} s | {f[1]:.0f} MB | {f[0] / d[0]:.2f}x |")
    print(f"\nedustat stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in s.items()))
    print(f"edustat ingest / parse floor: {s.get('ingest', 0) / f[0]:.1f}x; "
          f"peak RSS / input: {e[1] / r['input_mb']:.1f}x; unchanged rerun: {r['rerun']:.2f} s (then {r['steady']:.2f} s); "
          f"rerun with {r['changed_file']} changed: {r['changed']:.2f} s", flush=True)
    if r["province"]:
        wall, what = r["province"]
        print(f"rerun with one province's whole delivery changed, {what}: {wall:.2f} s", flush=True)


def growth(binary, preset, scales):
    print(f"\n## edustat's time and memory as the {preset} input grows (forced full run, one round each)\n")
    print("| scale | input | wall | wall per 100 MB | peak RSS | RSS / input |")
    print("| --- | --- | --- | --- | --- | --- |")
    for scale in scales:
        work = REPO / "target" / "bench" / f"{preset}-{scale}"
        pipeline, _, size = prepare(binary, preset, scale, work)
        wall, rss, _ = timed([binary, "run", str(pipeline), "--out", str(work / "out"), "--force",
                              "--progress", "never", "--log-level", "error"])
        print(f"| {scale} | {size:.1f} MB | {wall:.2f} s | {wall / size * 100:.1f} s | {rss:.0f} MB "
              f"| {rss / size:.1f}x |", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.environ.get("EDUSTAT_BIN", str(REPO / "target/release/edustat")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--preset", action="append", default=None, help="preset:scale, repeatable")
    parser.add_argument("--growth", action="append", default=None,
                        help="preset:scale,scale,... (repeatable; an empty value skips the tables)")
    args = parser.parse_args()
    for item in args.preset or ["guangxi:1.0", "national:0.01"]:
        preset, scale = item.split(":")
        report(measure(args.bin, sys.executable, preset, float(scale), args.rounds))
    for item in args.growth or ["guangxi:0.05,0.25,0.5,1.0", "national:0.01,0.05,0.1,0.2"]:
        if item:
            preset, scales = item.split(":")
            growth(args.bin, preset, [float(s) for s in scales.split(",")])


if __name__ == "__main__":
    main()
