"""The benchmark tables the docs quote, generated from the committed results in ``bench/results/``.

README.md and notebook 03 hold each table between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``.
``python bench/tables.py`` (the last step of ``make bench``) rewrites those blocks from
``bench/results/*.json``; ``tests/test_bench_tables.py`` fails when a block and its JSON disagree,
so no figure in the docs lacks a source. The notebooks' tables are in Korean (``korean=True``), the
README's in English.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOCUMENTS = (
    ROOT / "README.md",
    ROOT / "notebooks" / "02_train_colab.ipynb",
    ROOT / "notebooks" / "03_beat_overfitting.ipynb",
)
_BLOCK = re.compile(r"(<!-- bench:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /bench:(?P=name) -->)", re.S)


def load(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text())


def _source(results: dict, file: str, korean: bool = False, command: str = "make bench") -> str:
    where = f"{results['machine']}, {results['date'][:10]}"
    if korean:
        where = re.sub(r"(\d+) cores", r"CPU 코어 \1개", where)
        return f"*`{command}`로 잰 값: {where}; `bench/results/{file}`.*"
    return f"*Measured by `{command}` on {where}; `bench/results/{file}`.*"


def preprocessing(korean: bool = False) -> str:
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
    if "cpu_vs_course_loop" in scale:
        cpu = scale["cpu_vs_course_loop"]
        summary += (
            f" Its CPU time (every thread) is {cpu['csv']['cpu']:.2f}x that of the bare "
            f"`cv2.imread` + `cv2.resize` loop over the same photos ({cpu['csv_zst']['cpu']:.2f}x writing "
            "`.csv.zst`): writing the text is the rest."
        )
    rows += ["", summary, "", _source(results, "preprocess.json")]
    return "\n".join(rows)


def reading(korean: bool = False) -> str:
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
    ten_k = next((s["reading_10k"]["ratio"] for s in scales if "reading_10k" in s), None)
    if ten_k is not None:
        summary += (
            f" At 10,000 rows: {ten_k['speedup']:.2f}x as fast as `np.loadtxt` at {ten_k['memory']:.2f}x "
            "its peak memory."
        )
    rows += ["", summary, "", _source(results, "preprocess.json")]
    return "\n".join(rows)


def compression(korean: bool = False) -> str:
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


def training(korean: bool = False) -> str:
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


def _stopped_by(reason: str, korean: bool) -> str:
    """``early stopping (no better val_loss for 10 epochs)`` -> ``early stopping`` / ``조기 종료``."""
    short = reason.split(" (")[0]
    if not korean:
        return short
    return {"early stopping": "조기 종료", "time limit": "시간 한도"}.get(short, short)


def accuracy(korean: bool = False) -> str:
    """The course's recipe against the improved CNN under one budget."""
    results = load("accuracy")
    names = {"reference": "강의의 CNN (reference)", "improved": "개선한 CNN (improved)"} if korean else {}
    if korean:
        header = "| 모델 | 테스트 정확도 | 테스트 손실 | 에포크 (멈춘 이유) | 최고 에포크 |"
    else:
        header = "| model | test accuracy | test loss | epochs (stopped by) | best epoch |"
    rows = [header, "|---|---|---|---|---|"]
    for r in results["runs"]:
        rows.append(
            f"| {names.get(r['model'], r['model'])} | {r['test_accuracy']:.4f} | {r['test_loss']:.4f} | "
            f"{r['epochs_run']} ({_stopped_by(r['stopped_by'], korean)}) | {r['best_epoch']} |"
        )
    runs = results["runs"]
    gain = (runs[1]["test_accuracy"] - runs[0]["test_accuracy"]) * 100
    minutes = f"{results['budget_minutes']:g}"
    split = " / ".join(f"{n:,}" for n in runs[0]["splits"].values())
    if korean:
        note = (f"실제 샘플, 훈련 / 검증 / 테스트 {split}장, 모델마다 {minutes}분 학습 한도, 조기 종료 "
                f"(검증 손실); 개선한 CNN - 강의의 CNN: {gain:+.1f}%p.")  # fmt: skip
    else:
        note = (f"Real sample, train / val / test {split} photos, {minutes} minutes of training at most "
                f"for each, early stopping on val loss; "
                f"improved minus reference: {gain:+.1f} points.")  # fmt: skip
    return "\n".join([*rows, "", note, "", _source(results, "accuracy.json", korean, "make bench-accuracy")])


def input_sizes(korean: bool = False) -> str:
    """What larger and RGB inputs cost."""
    results = load("input_sizes")
    base = results["inputs"][0]
    scale = 25_000 / base["plain"]["rows"]
    if korean:
        header = "| 입력 | 사진당 값 | 25,000장 CSV MB (.zst) | 전처리 초 | 개선한 CNN 에포크당 초 |"
    else:
        header = (
            "| input | values per photo | CSV MB at 25,000 (.zst) | preprocessing s | improved CNN s/epoch |"
        )
    rows = [header, "|---|---|---|---|---|"]
    for r in results["inputs"]:
        values = r["size"] * r["size"] * (1 if r["color"] == "gray" else 3)
        rows.append(
            f"| {r['size']}x{r['size']} {r['color']} | {values:,} | {r['plain']['mb'] * scale:,.0f} "
            f"({r['zst']['mb'] * scale:,.0f}) | {r['plain']['seconds']:.1f} | "
            f"{r['train']['best_epoch_s']:.1f} |"
        )
    return "\n".join([*rows, "", _source(results, "input_sizes.json", korean)])


def reduced_decoding(korean: bool = False) -> str:
    """libjpeg's reduced-size decoding (the removed ``--fast``) against the course's full decode."""
    results = load("reduced_decoding")
    rows = [
        f"| decoding {results['photos']} photos of {results['side']} px, + resize to 80x80 gray | seconds | "
        "speed-up | mean abs. difference from the course's pixels (of 255) |",
        "|---|---|---|---|",
        f"| `IMREAD_GRAYSCALE` (the course's) | {results['full']['seconds']:.2f} | 1.00x | 0 |",
    ]
    for r in results["reduced"]:
        rows.append(
            f"| `IMREAD_REDUCED_GRAYSCALE_{r['factor']}` | {r['seconds']:.2f} | {r['speedup']:.2f}x | "
            f"{r['mean_abs_diff']:.2f} (max {r['max_abs_diff']}) |"
        )
    return "\n".join([*rows, "", _source(results, "reduced_decoding.json")])


def leak(korean: bool = False) -> str:
    """The size of the course's scaling leak on real and on generated photos (notebook 02, section 4)."""
    results = load("leak")
    real, demo = results["real_sample"], results["generated_demo"]
    if korean:
        text = (
            f"이 과정을 만들 때 실제 사진 {real['photos']:,}장에서 재어 보니, 두 번째 `fit` 때문에 "
            f"바뀐 테스트 값은 {real['changed_share']:.0%}였지만 차이는 가장 큰 것이 "
            f"{real['max_abs_diff']:.3f}, 평균 {real['mean_abs_diff']:.4f}로 작았습니다. 실제 사진 "
            "수천 장이면 픽셀 자리마다 0과 255에 가까운 값이 거의 다 나오기 때문입니다. `make demo`가 "
            f"만드는 합성 사진 {demo['photos']:,}장에서는 {demo['changed_share']:.1%}가 바뀌고 평균 "
            f"차이가 {demo['mean_abs_diff']:.3f}입니다."
        )
        return f"{text}\n\n{_source(results, 'leak.json', korean, 'python bench/bench_leak.py')}"
    return (
        f"The course's second scaler changes {real['changed_share']:.0%} of the test values of "
        f"{real['photos']:,} real photos by at most {real['max_abs_diff']:.3f} (mean "
        f"{real['mean_abs_diff']:.4f}) on the 0-1 scale.\n\n{_source(results, 'leak.json', korean)}"
    )


TABLES: dict[str, Callable[..., str]] = {
    "preprocessing": preprocessing,
    "reading": reading,
    "compression": compression,
    "training": training,
    "accuracy": accuracy,
    "input_sizes": input_sizes,
    "reduced_decoding": reduced_decoding,
    "leak": leak,
}

# the results file of each table, where its name differs
SOURCES = {"preprocessing": "preprocess", "reading": "preprocess"}


def available(name: str) -> bool:
    """True when the results the ``name`` table is made from have been measured."""
    return (RESULTS / f"{SOURCES.get(name, name)}.json").is_file()


def refresh(text: str, korean: bool = False) -> str:
    """``text`` with every bench block regenerated from the results; a block whose results are not
    measured yet (e.g. accuracy before ``make bench-accuracy``) is kept as it is."""

    def table(m) -> str:
        if not available(m["name"]):
            return m.group(0)
        return f"{m.group(1)}{TABLES[m['name']](korean=korean)}\n{m.group(4)}"

    return _BLOCK.sub(table, text)


def blocks(text: str) -> dict[str, str]:
    """``{name: body}`` of the bench blocks in ``text``."""
    return {m["name"]: m["body"] for m in _BLOCK.finditer(text)}


def _refresh_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "<!-- bench:" in cell.source:
            cell.source = refresh(cell.source, korean=True)
    nbformat.write(nb, path)


def main() -> int:
    for name in TABLES:
        if not available(name):
            print(f"kept the {name} table as it is: no bench/results/{SOURCES.get(name, name)}.json yet")
    for path in DOCUMENTS:
        if path.suffix == ".ipynb":
            _refresh_notebook(path)
        else:
            path.write_text(refresh(path.read_text()))
        print(f"refreshed the benchmark tables in {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
