"""The ``dogcat`` command line (also ``python -m dogcat_lib``): thin shells over the library.

argparse reads the options; what is ours is each command's checks before it writes anything, and
every failure told in one line (argparse prints a usage block, Python a traceback). ``dogcat
--help`` lists the commands; the README's "The command line" shows each at work.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from .data.imagespec import COURSE, ImageSpec
from .plumbing.atomic import fit_name, output_target
from .plumbing.errors import DogcatError
from .plumbing.paths import check_not_an_input
from .plumbing.quiet import native_stderr_silenced
from .plumbing.version import __version__


def _checked(convert, ok, what: str):
    """An argparse type: ``convert(text)``, refused as ``must be WHAT, not TEXT`` unless ``ok(value)``."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not ok(value):  # NaN fails every comparison
            raise argparse.ArgumentTypeError(f"must be {what}, not {text}")
        return value

    return parse


_positive_int = _checked(int, lambda value: value >= 1, "a positive integer")
_positive_float = _checked(float, lambda value: value > 0, "a positive number")
_count = _checked(int, lambda value: value >= 0, "0 or a positive integer")
_fraction = _checked(float, lambda value: 0 <= value <= 1, "a number between 0 and 1")


class _OneLineParser(argparse.ArgumentParser):
    """argparse with a mistyped command line told in one line (exit 2), without the usage block
    above it: ``--help`` shows the usage. The subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (`{self.prog} --help` lists the options)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="dogcat", description="Dogs vs. Cats course tools: photos -> one CSV -> a Keras CNN."
    )
    parser.add_argument("--version", action="version", version=f"dogcat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pre = sub.add_parser(
        "preprocess",
        help="photos (Kaggle train.zip or a folder) -> the course's CSV",
        description="Decode every labelled photo of SRC (a .zip read in place, or a folder searched "
        "recursively) to SIZE x SIZE pixels and write ONE CSV: label,0,1,... (cat=0, dog=1), rows shuffled.",
    )
    pre.add_argument("source", metavar="SRC", type=Path, help="train.zip or a folder of photos")
    pre.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT.csv",
        help="the CSV to write: .csv, or compressed for the upload to Drive, .csv.zst (zstd: 1/3 of the "
        "size, fast) or .csv.gz",
    )
    pre.add_argument(
        "--size", type=_positive_int, default=COURSE.size, help=f"pixels a side (default {COURSE.size})"
    )
    pre.add_argument("--color", choices=("gray", "rgb"), default="gray", help="default gray")
    pre.add_argument("--workers", type=_positive_int, help="decoding threads (default: all cores)")
    pre.add_argument("--limit", type=_positive_int, help="a class-balanced subset of N photos")
    pre.add_argument("--seed", type=int, default=0, help="seed of the row shuffle and of --limit (default 0)")
    pre.add_argument(
        "--exclude",
        type=Path,
        metavar="FILE.csv",
        help="leave out the photos this file lists (name,reason lines, e.g. the exclusions.csv of "
        "notebook 04's cleaner); each is reported as 'excluded by FILE'",
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
    sample.add_argument("--unlabelled", type=_count, default=0, help="unlabelled test1/ photos (default 0)")
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(func=cmd_sample)

    dl = sub.add_parser(
        "download",
        help="the real photos: Kaggle's dogs-vs-cats (needs a Kaggle account)",
        description="Download (resumable, verified, atomic; skipped when already complete) into DIR and "
        "print the path to preprocess. Needs a Kaggle API token (KAGGLE_API_TOKEN or "
        "~/.kaggle/access_token; `kaggle auth login` or kaggle.json work too) and the competition's "
        "rules accepted; gives DIR/train.zip and DIR/test1.zip.",
    )
    dl.add_argument("-o", "--output", type=Path, default=Path("data"), metavar="DIR", help="default data/")
    dl.add_argument(
        "--url",
        help="download from this address instead (a mirror; also $DOGCAT_KAGGLE_URL)",
    )
    dl.add_argument("--max-bytes", type=_positive_int, metavar="N", help="stop past N bytes (default 2 GB)")
    dl.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    dl.set_defaults(func=cmd_download)

    co = sub.add_parser(
        "colab",
        help="build the wheel to upload to Google Drive for Colab, and list the files to upload",
        description="Builds dogcat-VERSION-py3-none-any.whl from this repository into DIR (what `make colab` "
        "does) and says which files to put into My Drive/dogcat/, where the notebooks install it from.",
    )
    co.add_argument("-o", "--output", type=Path, default=Path("dist"), metavar="DIR", help="default dist/")
    co.add_argument(
        "--csv",
        type=Path,
        help="the CSV to upload (default: data/dogs-vs-cats.csv.zst of the repository, if there)",
    )
    co.set_defaults(func=cmd_colab)

    tr = sub.add_parser(
        "train",
        help="the CSV -> a trained CNN: model.keras, history.csv, metrics.json, figures/",
        description="Split the CSV (stratified, seeded: 70% train+validation, 30% test), scale with "
        "statistics of the training split only, train with early stopping, evaluate on the test split.",
    )
    tr.add_argument("csv", metavar="CSV", type=Path, help="the CSV from `dogcat preprocess`")
    tr.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="e.g. runs/reference")
    tr.add_argument("--epochs", type=_positive_int, default=100, help="at most this many (default 100)")
    tr.add_argument("--batch-size", type=_positive_int, default=100, help="default 100")
    tr.add_argument(
        "--model",
        default="reference",
        choices=("reference", "improved"),
        help="reference (the course's CNN, default) or improved (batch norm, augmentation, light head)",
    )
    tr.add_argument("--seed", type=int, default=0, help="split, initial weights and shuffling (default 0)")
    tr.add_argument(
        "--max-minutes",
        type=_positive_float,
        metavar="M",
        help="stop before an epoch that would end after M minutes of training; the best weights are kept",
    )
    tr.add_argument(
        "--patience", type=_positive_int, default=10, help="early stopping: epochs without a better val_loss"
    )
    tr.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted run in DIR after its last finished epoch (same CSV and options)",
    )
    tr.add_argument("--overwrite", action="store_true", help="replace a model (or an interrupted run) in DIR")
    tr.add_argument("-q", "--quiet", action="store_true", help="no per-epoch lines")
    tr.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", help="a trained model on a CSV: loss, accuracy, confusion matrix")
    ev.add_argument("model", metavar="MODEL", type=Path, help="a model.keras from `dogcat train`")
    ev.add_argument("csv", metavar="CSV", type=Path)
    ev.set_defaults(func=cmd_evaluate)

    pr = sub.add_parser(
        "predict",
        help="P(dog) for a photo, a folder or a zip; -o writes Kaggle's submission (id,label)",
    )
    pr.add_argument("model", metavar="MODEL", type=Path, help="a model.keras from `dogcat train`")
    pr.add_argument("source", metavar="SRC", type=Path, help="a photo, a folder, or a zip (e.g. test1.zip)")
    pr.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="submission.csv",
        help="write Kaggle's submission, sorted by id: id,label with label 1 (dog) or 0 (cat), as the "
        "2013 competition scores accuracy",
    )
    pr.add_argument(
        "--probabilities",
        action="store_true",
        help="-o: label = P(dog) instead, for the 2016 Redux edition (scored by log loss)",
    )
    pr.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    pr.set_defaults(func=cmd_predict)

    ex = sub.add_parser(
        "explain",
        help="Grad-CAM: where the model finds its evidence, as one overlay PNG per photo",
        description="For each PHOTO write DIR/<name>_gradcam.png: the photo, the heatmap of the last "
        "convolutional block's evidence for the predicted class, and the two overlaid (notebook 04).",
    )
    ex.add_argument("model", metavar="MODEL", type=Path, help="a model.keras from `dogcat train`")
    ex.add_argument("photos", metavar="PHOTO", type=Path, nargs="+", help="photo files (JPEG, PNG, ...)")
    ex.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="e.g. runs/inside")
    ex.add_argument("--alpha", type=_fraction, default=0.4, help="heatmap opacity, 0..1 (default 0.4)")
    ex.set_defaults(func=cmd_explain)

    app = sub.add_parser(
        "app",
        help="the model as a web page: a photo -> P(강아지), the verdict and Grad-CAM (Gradio)",
        description="Serve a page where a photo (upload, paste or webcam) gets the model's verdict and "
        "its Grad-CAM overlay, until Ctrl-C. Needs Gradio (make setup installs it).",
    )
    app.add_argument("model", metavar="MODEL", type=Path, help="a model.keras from `dogcat train`")
    app.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (0.0.0.0: the whole network)")
    app.add_argument("--port", type=_positive_int, default=None, help="default 7860 or the next free one")
    app.add_argument(
        "--share", action="store_true", help="a public link too, by Gradio's share server (always on Colab)"
    )
    app.set_defaults(func=cmd_app)
    return parser


def cmd_preprocess(args: argparse.Namespace) -> int:
    from .data.dataset import check_output_path, preprocess_to_csv
    from .data.exclusions import read_exclusions

    check_output_path(args.source, args.output, option="-o")  # before reading anything
    check_not_an_input(args.output, [args.exclude], option="-o")
    exclusions = read_exclusions(args.exclude) if args.exclude is not None else None
    start = time.perf_counter()
    result = preprocess_to_csv(
        args.source,
        args.output,
        size=args.size,
        color=args.color,
        workers=args.workers,
        limit=args.limit,
        progress=not args.quiet,
        seed=args.seed,
        exclude=exclusions,
    )
    seconds = time.perf_counter() - start
    counts = result.class_counts
    size_mb = result.path.stat().st_size / 1e6
    print(
        f"wrote {result.path}: {result.rows:,} rows ({counts['cat']:,} cat, {counts['dog']:,} dog) x "
        f"{result.n_pixels:,} pixels, {size_mb:,.1f} MB in {seconds:.1f} s"
    )
    print(result.skipped.summary())
    if exclusions is not None:
        found = result.skipped.counts().get(exclusions.skip_reason, 0)
        if found < len(exclusions):
            print(
                f"{len(exclusions) - found} of the {len(exclusions)} names in {args.exclude} "
                f"are not in {args.source}"
            )
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from .data.sample import make_sample

    out_path = args.output
    if out_path.suffix.lower() == ".zip" and os.path.lexists(out_path):
        raise DogcatError(f"-o {out_path} already exists: name a new .zip (or delete it first)")
    if out_path.exists():
        if not out_path.is_dir():
            raise DogcatError(f"-o {out_path} is a file: name a new folder, or a .zip")
        if any(out_path.iterdir()):  # old photos would stay beside the new ones and be read too
            raise DogcatError(f"-o {out_path} is a folder that is not empty: name a new folder (or empty it)")
    out = make_sample(args.output, n_per_class=args.per_class, seed=args.seed, unlabelled=args.unlabelled)
    print(
        f"wrote {out}: {2 * args.per_class} labelled synthetic photos"
        + (f" + {args.unlabelled} unlabelled" if args.unlabelled else "")
    )
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from .data.download import download_dataset

    path = download_dataset(args.output, args.url, not args.quiet, args.max_bytes)
    print(f"{path} ({path.stat().st_size / 1e6:,.1f} MB) is ready; next:")
    print(f"  dogcat preprocess {path} -o {args.output / 'dogs-vs-cats.csv.zst'}")
    return 0


def cmd_colab(args: argparse.Namespace) -> int:
    from .colab import build_wheel, project_path, upload_list

    wheel = build_wheel(args.output)
    csv = args.csv if args.csv is not None else project_path("data/dogs-vs-cats.csv.zst")
    print(f"wrote {wheel}")
    print(upload_list(wheel, csv))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .learn.training import RUN_FIGURES, train_from_csv
    from .plots import plot_confusion_matrix, plot_history, plot_mistakes, plot_sample_grid

    run = train_from_csv(
        args.csv,
        args.output,
        model_name=args.model,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        max_minutes=args.max_minutes,
        patience=args.patience,
        overwrite=args.overwrite,
        resume=args.resume,
        verbose=0 if args.quiet else 2,
    )
    # learn/ computes, plots.py draws: the run's figures, each written atomically
    history_png, confusion_png, mistakes_png, samples_png = (run.out_dir / "figures" / n for n in RUN_FIGURES)
    splits, evaluation = run.splits, run.evaluation
    plot_history(run.history, title=f"{args.model} CNN", path=history_png)
    plot_confusion_matrix(evaluation.confusion, path=confusion_png)
    plot_mistakes(splits.X_test, splits.y_test, evaluation.proba, path=mistakes_png)
    plot_sample_grid(splits.X_train, splits.y_train, n=8, path=samples_png)
    plt.close("all")
    resumed = f" (continued after epoch {run.resumed_from})" if run.resumed_from else ""
    print(
        f"trained {args.model} on {run.splits.sizes()['train']:,} photos: {len(run.history)} epochs"
        f"{resumed} in {run.seconds:.0f} s, stopped by {run.stopped_by}; best epoch {run.best_epoch}"
    )
    print(run.evaluation.report())
    print(f"wrote {run.out_dir}/: model.keras, history.csv, metrics.json, figures/")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .data.csvio import read_csv
    from .learn.evaluation import evaluate
    from .learn.modelfile import load_model
    from .learn.pipeline import check_fits

    model = load_model(args.model)
    X, y = read_csv(args.csv)
    check_fits(X, ImageSpec.from_model(model), str(args.csv))  # the CSV named, before any batch
    result = evaluate(model, X, y)
    print(result.report())
    print(f"confusion (rows: true cat, dog; columns: predicted cat, dog): {result.confusion.tolist()}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    if args.output is not None:  # before any photo is decoded
        check_not_an_input(args.output, [args.model, args.source], option="-o")
        output_target(args.output)  # a folder, a device or a pipe
    from .data.sources import is_zip
    from .learn.predict import predict, predict_photo, write_submission

    if args.output is None and args.source.is_file() and not is_zip(args.source):
        print(predict_photo(args.model, args.source).line())  # one photo: one line
        return 0
    frame = predict(args.model, args.source, progress=not args.quiet)
    counts = frame["class"].value_counts()
    print(
        f"{len(frame):,} photos: {counts.get('dog', 0):,} dog, {counts.get('cat', 0):,} cat"
        f" ({frame.attrs['skipped'].summary()})"
    )
    if args.output is not None:
        write_submission(frame, args.output, probabilities=args.probabilities)
        what = "P(dog)" if args.probabilities else "1 dog, 0 cat"
        print(f"wrote {args.output}: id,label (label = {what}) for {len(frame):,} photos")
    else:
        print(frame.head(20).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _overlay_names(photos: list[Path]) -> list[str]:
    """``<stem>_gradcam.png`` per photo; a stem seen before (in any case) gets ``-2``, ``-3``...; a
    stem too long for a legal name (255 bytes) is cut short."""
    names, seen = [], set()
    for photo in photos:
        stem, n = fit_name(photo.stem, "-99_gradcam.png")[: -len("-99_gradcam.png")], 1
        while (stem if n == 1 else f"{stem}-{n}").lower() in seen:
            n += 1
        unique = stem if n == 1 else f"{stem}-{n}"
        seen.add(unique.lower())
        names.append(f"{unique}_gradcam.png")
    return names


def cmd_explain(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .learn.explain import explain, find_conv_layer
    from .learn.modelfile import load_model
    from .learn.predict import predict_photo
    from .plots import plot_gradcam

    if args.output.exists() and not args.output.is_dir():
        raise DogcatError(f"-o {args.output} is a file: give a folder, e.g. runs/inside")
    for photo in args.photos:  # every input is checked before anything is written
        if not photo.exists():
            raise DogcatError(f"{photo} does not exist: pass photo files")
        if not photo.is_file():
            raise DogcatError(f"{photo} is not a file: pass photo files (e.g. {photo}/*.jpg)")
    names = _overlay_names(args.photos)
    for name in names:
        check_not_an_input(args.output / name, [args.model, *args.photos], option="-o")
    model = load_model(args.model)
    # first the predictions: a model that gives no probability P(dog) is refused before any overlay
    results = [predict_photo(model, photo) for photo in args.photos]
    layer = find_conv_layer(model)[0]
    for result, name in zip(results, names, strict=True):
        heatmap = explain(model, result.pixels)
        title = f"{result.line()}   (evidence for {result.class_name}, {layer.name})"
        fig = plot_gradcam(result.image, heatmap, result.pixels, title, args.alpha, path=args.output / name)
        plt.close(fig)
        print(f"{args.output / name}: {result.line()}")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    from .app import launch_app

    launch_app(args.model, host=args.host, port=args.port, share=args.share or None, block=True)
    return 0


def _stop(signum: int, frame) -> NoReturn:
    """SIGTERM (``kill``, a time limit) and SIGHUP (a closed terminal) end a command as Ctrl-C does:
    Python raises only KeyboardInterrupt by itself, and every ``finally`` then removes its temp file."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def _signals_stop_like_ctrl_c() -> Iterator[None]:
    main = threading.current_thread() is threading.main_thread()  # only there can handlers be set
    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if main and hasattr(signal, name)]
    previous = {signum: signal.signal(signum, _stop) for signum in wanted}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _error(command: str, message: str) -> int:
    """Print ``dogcat COMMAND: error: MESSAGE`` as one line (a library's message may hold newlines)."""
    print(f"dogcat {command}: error: {' '.join(message.split())}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dogcat`` console script; returns the exit status.

    Every failure is one line on stderr and exit 1; Ctrl-C, SIGTERM and SIGHUP remove the temp
    files of the outputs being written before the command ends (130, 143, 129).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a file name that is not valid UTF-8: printed escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    quiet = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3") >= "3"  # TensorFlow's own notices, from C++
    with _signals_stop_like_ctrl_c(), native_stderr_silenced(quiet):
        try:
            return args.func(args)
        except DogcatError as exc:
            return _error(args.command, str(exc))
        except OSError as exc:  # a disk full, a permission denied: name the file, no traceback
            where = f"{exc.filename}: " if exc.filename else ""
            return _error(args.command, f"{where}{exc.strerror or exc}")
        except KeyboardInterrupt as exc:
            sys.unraisablehook = lambda unraisable: None  # an object cut short may fail in __del__
            signum = signal.Signals.__members__.get(str(exc), signal.SIGINT)  # _stop names its signal
            how = "interrupted" if signum == signal.SIGINT else f"stopped by {signum.name}"
            print(f"dogcat {args.command}: {how}; no file was left half-written", file=sys.stderr)
            return 128 + signum


if __name__ == "__main__":
    sys.exit(main())
