"""What the benchmarks share: where the real sample is, peak memory, child processes, the machine."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLE = ROOT.parent / "shared" / "data" / "dogs-vs-cats-sample.zip"
RESULTS = ROOT / "bench" / "results"


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux: VmHWM, which starts afresh at exec (``ru_maxrss`` would carry the parent's peak
    over into a child started by fork + exec, inflating every child's figure).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """--sample (the real photos) and the hidden --child used by :func:`run_child`."""
    parser.add_argument(
        "--sample", type=Path, default=Path(os.environ.get("DOGCAT_SAMPLE_ZIP", DEFAULT_SAMPLE))
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)


def sample_missing(args: argparse.Namespace, what: str) -> bool:
    """True (after saying so) when the real sample is absent: the benchmark is skipped, not failed."""
    if args.sample.is_file():
        return False
    print(f"{what} skipped: the real sample is not at {args.sample} (set DOGCAT_SAMPLE_ZIP)")
    return True


def child_main(variants: dict[str, Callable[..., dict]], child: list[str]) -> int:
    """In a child process: run one variant and print its figures, with its peak RSS, as JSON."""
    variant, *rest = child
    figures = variants[variant](*rest)
    figures["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(figures))
    return 0


def run_child(script: str, variant: str, *args: str, env: dict | None = None) -> dict:
    """Run one variant of ``script`` in a fresh interpreter; returns its figures plus its peak RSS."""
    done = subprocess.run(
        [sys.executable, script, "--child", variant, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fit_timed(model, data, epochs: int, batch_size: int = 100, verbose: int = 0) -> list[float]:
    """Train ``model`` as ``dogcat train`` feeds it (uint8 rows through ``make_dataset``, validated on
    the validation split); the seconds of each epoch, as ``TimeBudget`` logs them."""
    from dogcat_lib import ImageSpec, TimeBudget
    from dogcat_lib.learn.pipeline import make_dataset

    spec = ImageSpec.from_model(model)
    history = model.fit(
        make_dataset(data.X_train, data.y_train, spec, batch_size, shuffle=True),
        validation_data=make_dataset(data.X_val, data.y_val, spec, batch_size),
        epochs=epochs, callbacks=[TimeBudget()], verbose=verbose,
    )  # fmt: skip
    return [float(s) for s in history.history["seconds"]]
