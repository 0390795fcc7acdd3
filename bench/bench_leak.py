"""How large the course's scaling leak is: notebook 02's second MinMaxScaler, fitted on the test rows.

The course fits one MinMaxScaler on the training rows and a second one on the test rows. This
measures, on the same split as notebook 02 (``train_test_split(test_size=0.3, random_state=0)``),
how the test rows' scaled values differ between the two scalers: on the real sample and on the
generated photos of ``make demo``. Notebook 02's prose cites the figures; it prints its own run's.
Writes ``bench/results/leak.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, add_common_arguments, machine, sample_missing


def leak(source: Path, folder: Path) -> dict:
    """The course's two scalers against one fitted on the training rows, on ``source``'s photos."""
    from dogcat_lib import preprocess_to_csv, read_csv

    X, y = read_csv(preprocess_to_csv(source, folder / "photos.csv", progress=False).path)
    x_train, x_test, _, _ = train_test_split(X, y, test_size=0.3, random_state=0)
    course = MinMaxScaler().fit(x_test).transform(x_test)  # the course's second fit
    ours = MinMaxScaler().fit(x_train).transform(x_test)
    diff = np.abs(course - ours)
    return {
        "photos": len(y),
        "changed_share": float(np.mean(diff > 1e-6)),
        "max_abs_diff": float(diff.max()),
        "mean_abs_diff": float(diff.mean()),
        "outside_0_1_share": float(np.mean((ours < 0) | (ours > 1))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    args = parser.parse_args()
    if sample_missing(args, "bench_leak"):
        return 0
    from dogcat_lib import make_sample

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = make_sample(folder / "demo", n_per_class=200)  # what `make demo` generates
        results = {
            "machine": machine(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "real_sample": leak(args.sample, folder),
            "generated_demo": leak(demo / "train", folder),
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "leak.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
