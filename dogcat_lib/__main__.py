"""The ``dogcat`` command line (also ``python -m dogcat_lib``): thin shells over the library.

dogcat preprocess train.zip -o dogs-vs-cats.csv      # step one of the course (notebook 01)
dogcat sample -o runs/sample/train.zip               # a generated, Kaggle-like sample
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .errors import DogcatError


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dogcat", description="Dogs vs. Cats course tools: photos -> one CSV -> a Keras CNN."
    )
    parser.add_argument("--version", action="version", version=f"dogcat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pre = sub.add_parser(
        "preprocess",
        help="photos (Kaggle train.zip or a folder) -> the course's CSV",
        description="Decode every labelled photo of SRC (a .zip read in place, or a folder searched "
        "recursively) to SIZE x SIZE pixels and write ONE CSV: label,0,1,...  (cat=0, dog=1), rows shuffled.",
    )
    pre.add_argument("source", metavar="SRC", type=Path, help="train.zip or a folder of photos")
    pre.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT.csv",
        help="the CSV to write (.csv, or .csv.gz for gzip)",
    )
    pre.add_argument("--size", type=_positive_int, default=80, help="pixels a side (default 80)")
    pre.add_argument("--color", choices=("gray", "rgb"), default="gray", help="default gray")
    pre.add_argument(
        "--workers", type=_positive_int, default=None, help="decoding threads (default: all cores)"
    )
    pre.add_argument("--limit", type=_positive_int, default=None, help="a class-balanced subset of N photos")
    pre.add_argument("--seed", type=int, default=0, help="seed of the row shuffle and of --limit (default 0)")
    pre.add_argument(
        "--fast",
        action="store_true",
        help="reduced-size JPEG decoding + area resampling: faster on large photos, "
        "pixels differ slightly from the course's",
    )
    pre.add_argument(
        "--skipped",
        type=Path,
        default=None,
        metavar="FILE.tsv",
        help="also write every skipped entry and its reason to this file",
    )
    pre.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    pre.set_defaults(func=cmd_preprocess)

    sample = sub.add_parser(
        "sample",
        help="generate a small Kaggle-like sample of synthetic photos (offline demos and tests)",
    )
    sample.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT",
        help="a .zip (like Kaggle's train.zip) or a folder",
    )
    sample.add_argument(
        "-n", "--per-class", type=_positive_int, default=200, help="photos per class (default 200)"
    )
    sample.add_argument("--unlabelled", type=int, default=0, help="unlabelled test1/ photos (default 0)")
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(func=cmd_sample)
    return parser


def cmd_preprocess(args: argparse.Namespace) -> int:
    from .preprocess import check_output_path, preprocess_to_csv

    if args.skipped is not None:  # -o is checked by preprocess_to_csv itself
        check_output_path(args.source, args.skipped)
        if args.skipped.resolve() == args.output.resolve():
            raise DogcatError("--skipped and -o name the same file: choose two names")
    start = time.perf_counter()
    try:
        result = preprocess_to_csv(
            args.source,
            args.output,
            size=args.size,
            color=args.color,
            workers=args.workers,
            limit=args.limit,
            progress=not args.quiet,
            fast=args.fast,
            seed=args.seed,
        )
    except OSError as exc:  # a full disk, a read-only folder, a file locked by another program
        raise DogcatError(f"{exc.filename or args.output}: {exc.strerror or exc}") from exc
    if args.skipped is not None:
        result.skipped.write_tsv(args.skipped)
    seconds = time.perf_counter() - start
    counts = result.class_counts
    size_mb = result.path.stat().st_size / 1e6
    print(
        f"wrote {result.path}: {result.rows:,} rows ({counts['cat']:,} cat, {counts['dog']:,} dog) x "
        f"{result.n_pixels:,} pixels, {size_mb:,.1f} MB in {seconds:.1f} s"
    )
    print(result.skipped.summary())
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from .sample import make_sample

    out = make_sample(args.output, n_per_class=args.per_class, seed=args.seed, unlabelled=args.unlabelled)
    print(
        f"wrote {out}: {2 * args.per_class} labelled synthetic photos"
        + (f" + {args.unlabelled} unlabelled" if args.unlabelled else "")
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dogcat`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DogcatError as exc:
        print(f"dogcat {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"dogcat {args.command}: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
