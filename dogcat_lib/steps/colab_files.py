"""What to upload to Google Drive for step two (``dogcat colab``, ``make colab``): the package's
wheel and the CSV, into ``My Drive/dogcat/``. Notebooks 02-04 install the wheel from there, so
nothing has to be published for the course to run on Colab.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .. import __version__
from ..colab import COURSE_FOLDER, repository_root
from ..plumbing.errors import DogcatError


def build_wheel(out_dir: str | os.PathLike = "dist") -> Path:
    """Build ``dogcat-VERSION-py3-none-any.whl`` from the repository into ``out_dir`` (``python -m build``).

    Needs the repository (an editable install: ``make setup`` or ``pip install -e .``) and the
    ``build`` package (a dev dependency). Raises DogcatError with the fix otherwise.
    """
    repo = repository_root()
    if repo is None:
        raise DogcatError("building the wheel needs the repository: run this from a clone (pip install -e .)")
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise DogcatError(f"-o {out_dir} is a file: the wheel goes into a folder (e.g. dist/)")
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(repo)]
    done = subprocess.run(command, capture_output=True, text=True)
    wheel = out / f"dogcat-{__version__}-py3-none-any.whl"
    if done.returncode != 0 or not wheel.is_file():
        output = done.stderr + done.stdout
        if "No module named build" in output:
            raise DogcatError("building the wheel needs the `build` package: pip install build, then again")
        last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "no output")
        raise DogcatError(
            f"could not build the wheel: {last[:200]} (python -m build fetches setuptools from the "
            "package index: connect to the internet once and run it again)"
        )
    return wheel


def upload_list(wheel: Path, csv: Path | None) -> str:
    """The lines telling the student which files go into ``My Drive/dogcat/``, and what next."""

    def line(path: Path, what: str) -> str:
        return f"  {path}  ({path.stat().st_size / 1e6:,.1f} MB: {what})"

    lines = [
        f"Upload into Google Drive, folder My Drive/{COURSE_FOLDER}/ (create it):",
        line(wheel, "dogcat_lib"),
    ]
    if csv is not None and csv.is_file():
        lines.append(line(csv, "the photos from step one"))
    else:
        where = f" (not found at {csv})" if csv is not None else ""
        lines.append(f"  and the CSV from step one, e.g. data/dogs-vs-cats.csv.zst{where}")
    lines += [
        "Then open notebooks/02_train_colab.ipynb in Colab (File > Upload notebook) and run it:",
        f'  CSV_PATH = "MyDrive/{COURSE_FOLDER}/{csv.name if csv else "dogs-vs-cats.csv.zst"}"',
    ]
    return "\n".join(lines)
