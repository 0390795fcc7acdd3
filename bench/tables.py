"""The benchmark tables the docs quote, generated from the committed results in ``bench/results/``.

README.md and notebook 03 hold each table between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``.
``python bench/tables.py`` (the last step of ``make bench``) rewrites those blocks from
``bench/results/*.json``; ``tests/test_bench_tables.py`` fails when a block and its JSON disagree,
so no figure in the docs lacks a source.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOCUMENTS = (ROOT / "README.md", ROOT / "notebooks" / "03_beat_overfitting.ipynb")
_BLOCK = re.compile(r"(<!-- bench:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /bench:(?P=name) -->)", re.S)


def load(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text())


def _source(results: dict, file: str) -> str:
    where = f"{results['machine']}, {results['date'][:10]}"
    return f"*Measured by `make bench` on {where}; `bench/results/{file}`.*"


def preprocessing() -> str:
    """Photos -> CSV and CSV -> arrays at the full set's size, against the course's code."""
    results = load("preprocess")
    scale = results["scales"][max(results["scales"], key=lambda k: k != "sample")]
    names = {
        "reference_preprocess": "the course's procedure (int64 frame, `to_csv`)",
        "reference_preprocess_uint8": "the same with a uint8 frame",
        "package_preprocess": "`dogcat preprocess` (streaming)",
        "package_in_memory": "notebook 01's route (`build_dataset` + `write_csv`)",
    }
    rows = ["| photos -> CSV | seconds | peak memory |", "|---|---|---|"]
    for key, label in names.items():
        f = scale[key]
        rows.append(f"| {label} | {f['seconds']:.1f} | {f['peak_rss_mb']:,.0f} MB |")
    ratio = scale["ratios"]["preprocess_vs_reference"]
    summary = (
        f"{scale['package_preprocess']['rows']:,} photos; `dogcat preprocess` is {ratio['speedup']:.1f}x "
        f"faster than the course's procedure at {ratio['memory']:.2f}x its memory."
    )
    rows += ["", summary, "", _source(results, "preprocess.json")]
    return "\n".join(rows)


def reading() -> str:
    """Reading the CSV four ways, on the sample and tiled to the full set's size."""
    results = load("preprocess")
    names = {
        "pandas_read": "the course's `pd.read_csv` (int64)",
        "pandas_read_uint8": "`pd.read_csv(dtype=np.uint8)`",
        "numpy_loadtxt": "`np.loadtxt(dtype=np.uint8)`",
        "package_read": "`dogcat_lib.read_csv`",
    }
    scales = list(results["scales"].values())
    head = " | ".join(f"{s['package_read']['rows']:,} rows: s, peak MB" for s in scales)
    rows = [f"| reader | {head} |", "|---|" + "---|" * len(scales)]
    for key, label in names.items():
        cells = " | ".join(f"{s[key]['seconds']:.2f} s, {s[key]['peak_rss_mb']:,.0f} MB" for s in scales)
        rows.append(f"| {label} | {cells} |")
    big = scales[-1]["ratios"]["read_csv_vs_loadtxt"]
    summary = (
        f"At {scales[-1]['package_read']['rows']:,} rows `read_csv` is {big['speedup']:.2f}x as fast as "
        f"`np.loadtxt` at {big['memory']:.2f}x its peak memory."
    )
    rows += ["", summary, "", _source(results, "preprocess.json")]
    return "\n".join(rows)


def compression() -> str:
    """The CSV's size and speed, plain vs gzip vs zstd."""
    results = load("compression")
    photos = results["photos"]
    rows = [
        f"| format | MB ({photos:,} photos) | MB at 25,000 | write s | `read_csv` s | pandas s |",
        "|---|---|---|---|---|---|",
    ]
    for f in results["formats"]:
        rows.append(
            f"| {f['format']} | {f['mb']:.1f} | {f['mb'] * 25_000 / photos:,.0f} | {f['write_s']:.2f} | "
            f"{f['read_s']:.2f} | {f['pandas_read_s']:.2f} |"
        )
    return "\n".join([*rows, "", _source(results, "compression.json")])


def training() -> str:
    """The reference CNN through the course's code and through dogcat_lib."""
    results = load("training")
    rows = ["| CSV rows | path | best epoch s | peak memory |", "|---|---|---|---|"]
    for label, c in results["speed"].items():
        course, ours = c["course"], c["package"]
        rows.append(
            f"| {label} | the course's code | {course['seconds_per_epoch']:.1f} | "
            f"{course['peak_rss_mb']:,.0f} MB |"
        )
        rows.append(
            f"| {label} | `dogcat_lib` | {ours['seconds_per_epoch']:.1f} ({c['epoch_time_ratio']:.2f}x) | "
            f"{ours['peak_rss_mb']:,.0f} MB ({c['peak_rss_ratio']:.2f}x) |"
        )
    return "\n".join([*rows, "", _source(results, "training.json")])


def accuracy() -> str:
    """The course's recipe against the improved CNN under one budget."""
    results = load("accuracy")
    rows = ["| model | test accuracy | test loss | epochs | best epoch |", "|---|---|---|---|---|"]
    for r in results["runs"]:
        rows.append(
            f"| {r['model']} | {r['test_accuracy']:.4f} | {r['test_loss']:.4f} | {r['epochs_run']} "
            f"({r['stopped_by']}) | {r['best_epoch']} |"
        )
    runs = results["runs"]
    gain = runs[1]["test_accuracy"] - runs[0]["test_accuracy"]
    note = (f"Real sample, split {runs[0]['splits']}, {results['budget_minutes']:g} minutes of training "
            f"each; improved minus reference: {gain * 100:+.1f} points.")  # fmt: skip
    return "\n".join([*rows, "", note, "", _source(results, "accuracy.json")])


def input_sizes() -> str:
    """What larger and RGB inputs cost."""
    results = load("input_sizes")
    base = results["inputs"][0]
    scale = 25_000 / base["plain"]["rows"]
    rows = [
        "| input | values per photo | CSV MB at 25,000 (.zst) | preprocessing s | improved CNN s/epoch |",
        "|---|---|---|---|---|",
    ]
    for r in results["inputs"]:
        values = r["size"] * r["size"] * (1 if r["color"] == "gray" else 3)
        rows.append(
            f"| {r['size']}x{r['size']} {r['color']} | {values:,} | {r['plain']['mb'] * scale:,.0f} "
            f"({r['zst']['mb'] * scale:,.0f}) | {r['plain']['seconds']:.1f} | "
            f"{r['train']['best_epoch_s']:.1f} |"
        )
    return "\n".join([*rows, "", _source(results, "input_sizes.json")])


TABLES: dict[str, Callable[[], str]] = {
    "preprocessing": preprocessing,
    "reading": reading,
    "compression": compression,
    "training": training,
    "accuracy": accuracy,
    "input_sizes": input_sizes,
}


def refresh(text: str) -> str:
    """``text`` with every bench block regenerated from the results."""
    return _BLOCK.sub(lambda m: f"{m.group(1)}{TABLES[m['name']]()}\n{m.group(4)}", text)


def blocks(text: str) -> dict[str, str]:
    """``{name: body}`` of the bench blocks in ``text``."""
    return {m["name"]: m["body"] for m in _BLOCK.finditer(text)}


def _refresh_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "<!-- bench:" in cell.source:
            cell.source = refresh(cell.source)
    nbformat.write(nb, path)


def main() -> int:
    for path in DOCUMENTS:
        if path.suffix == ".ipynb":
            _refresh_notebook(path)
        else:
            path.write_text(refresh(path.read_text()))
        print(f"refreshed the benchmark tables in {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
