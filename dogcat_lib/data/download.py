"""Get the real photos (``dogcat download``): Kaggle's competition files or Microsoft's PetImages.

Every download streams to ``NAME.part`` beside the target with a progress bar, resumes an
interrupted ``.part`` with an HTTP Range request where the server allows it, checks the size
(and a SHA-256 where one is known), and only then renames the file into place: the final name
never holds half a file, and a complete file is not downloaded again.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from ..plumbing.atomic import atomic_output
from ..plumbing.errors import DogcatError

_CHUNK = 1 << 20
_USER_AGENT = "dogcat-course-downloader"


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: where from, its name, and (when known) its size and SHA-256."""

    url: str
    filename: str
    size: int | None = None
    sha256: str | None = None
    url_env: str = ""  # the environment variable that overrides ``url``


# Microsoft's Kaggle Cats and Dogs dataset (the Keras "image classification from scratch" example's
# download): PetImages/Cat/*.jpg and PetImages/Dog/*.jpg, about 800 MB, no account needed.
PETIMAGES = RemoteFile(
    url="https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip",
    filename="kagglecatsanddogs_5340.zip",
    url_env="DOGCAT_PETIMAGES_URL",
)
KAGGLE_COMPETITION = "dogs-vs-cats"
KAGGLE_ZIP = "dogs-vs-cats.zip"  # what the Kaggle API downloads: train.zip, test1.zip, sampleSubmission.csv
KAGGLE_URL_ENV = "DOGCAT_KAGGLE_URL"  # a mirror of dogs-vs-cats.zip (or of train.zip) to use instead

KAGGLE_SETUP = (
    "Kaggle credentials not found: create an API token at https://www.kaggle.com/settings "
    '("Create New Token"), save it as {path} (or set KAGGLE_USERNAME and KAGGLE_KEY), and accept '
    "the competition's rules at https://www.kaggle.com/c/dogs-vs-cats/rules. No account? "
    "`dogcat download --source petimages` needs none."
)


@dataclass
class DownloadResult:
    """What :func:`download_file` did: the file, its size, and whether it was already there or resumed."""

    path: Path
    size: int
    already_there: bool = False
    resumed_from: int = 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _complete(path: Path, size: int | None, sha256: str | None) -> bool:
    if not path.is_file():
        return False
    if size is not None and path.stat().st_size != size:
        return False
    return sha256 is None or _sha256(path) == sha256


def _open(url: str, start: int, timeout: float):
    headers = {"User-Agent": _USER_AGENT}
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)


def _total_size(response, start: int) -> int | None:
    """The whole file's size from Content-Range (a resumed 206) or Content-Length."""
    content_range = response.headers.get("Content-Range", "")
    if response.status == 206 and "/" in content_range:
        total = content_range.rsplit("/", 1)[1].strip()
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length")
    return int(length) + (start if response.status == 206 else 0) if length and length.isdigit() else None


def download_file(
    url: str,
    dest: str | os.PathLike,
    *,
    size: int | None = None,
    sha256: str | None = None,
    progress: bool = True,
    timeout: float = 60.0,
    fix: str = "",
) -> DownloadResult:
    """Download ``url`` to ``dest`` via ``dest.part``: resumable, verified, atomic, not repeated.

    ``size``/``sha256``: what the file must be (checked when given; the server's own length is
    always checked). Raises DogcatError naming the URL, what went wrong and ``fix`` (e.g. which
    option or environment variable sets another URL); an interrupted transfer keeps ``.part``
    for the next call to resume.
    """
    dest = Path(dest)
    if _complete(dest, size, sha256):
        return DownloadResult(dest, dest.stat().st_size, already_there=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.is_file() else 0
    if size is not None and start > size:
        part.unlink()
        start = 0
    hint = f" {fix}" if fix else ""
    try:
        try:
            response = _open(url, start, timeout)
        except urllib.error.HTTPError as exc:
            if exc.code != 416 or not start:
                raise
            # 416: the range starts at or past the end: the .part may already be the whole file
            response = None
        if response is None:
            total, resumed = start, start
        else:
            with response:
                resumed = start if response.status == 206 else 0  # 200: the server ignores Range
                total = _total_size(response, resumed)
                if size is not None and total is not None and total != size:
                    raise DogcatError(
                        f"{url} serves {total:,} bytes, but {dest.name} is {size:,} bytes: "
                        f"the file has changed or the URL is wrong.{hint}"
                    )
                mode = "ab" if resumed else "wb"
                with open(part, mode) as out, tqdm(
                    total=total, initial=resumed, unit="B", unit_scale=True, unit_divisor=1024,
                    desc=dest.name, disable=not progress,
                ) as bar:  # fmt: skip
                    for block in iter(lambda: response.read(_CHUNK), b""):
                        out.write(block)
                        bar.update(len(block))
    except urllib.error.HTTPError as exc:
        raise DogcatError(f"download of {url} failed: HTTP {exc.code} {exc.reason}.{hint}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DogcatError(
            f"cannot download {url} ({reason}): check the internet connection, then run the same "
            f"command again (it resumes).{hint}"
        ) from exc
    except (OSError, http.client.HTTPException) as exc:  # a connection cut mid-transfer
        kept = part.stat().st_size if part.exists() else 0
        raise DogcatError(
            f"download of {url} was interrupted ({type(exc).__name__}: {exc}); {kept:,} bytes kept "
            f"in {part.name}: run the same command again to resume"
        ) from exc
    got = part.stat().st_size if part.exists() else 0
    expected = size if size is not None else total
    if expected is not None and got != expected:
        if got > expected:
            part.unlink()
        raise DogcatError(
            f"download of {url} is incomplete: {got:,} of {expected:,} bytes; run the same command again "
            f"to resume{' (the partial file was discarded)' if got > expected else ''}.{hint}"
        )
    if sha256 is not None and _sha256(part) != sha256:
        part.unlink()
        raise DogcatError(f"{url}: the downloaded file's SHA-256 does not match; it was discarded.{hint}")
    os.replace(part, dest)
    return DownloadResult(dest, got, resumed_from=resumed)


def kaggle_credentials() -> Path | None:
    """Where the Kaggle API will find credentials: the kaggle.json file, or None when there are none.

    The environment variables ``KAGGLE_USERNAME`` and ``KAGGLE_KEY`` count too (then the
    returned path may not exist).
    """
    config_dir = Path(os.environ.get("KAGGLE_CONFIG_DIR") or Path.home() / ".kaggle")
    token = config_dir / "kaggle.json"
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return token
    if token.is_file():
        try:
            content = json.loads(token.read_text())
        except (OSError, ValueError):
            raise DogcatError(f"{token} is not a valid Kaggle token (JSON with username and key)") from None
        if isinstance(content, dict) and content.get("username") and content.get("key"):
            return token
        raise DogcatError(f"{token} has no username and key: download a new token from Kaggle")
    return None


def _kaggle_api_download(out_dir: Path) -> Path:
    """dogs-vs-cats.zip through the official ``kaggle`` package (needs credentials)."""
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi
    except ImportError:
        raise DogcatError(
            "the Kaggle download needs the kaggle package: pip install 'dogcat[kaggle]' or pip install kaggle"
        ) from None
    api = KaggleApi()
    try:
        api.authenticate()
        api.competition_download_files(KAGGLE_COMPETITION, path=str(out_dir), quiet=False)
    except Exception as exc:  # the package raises its own ApiException, HTTP errors, OSError...
        text = str(exc)
        if "403" in text or "Forbidden" in text:
            raise DogcatError(
                "Kaggle refused the download (403): accept the competition's rules at "
                "https://www.kaggle.com/c/dogs-vs-cats/rules with the account of your token, then retry"
            ) from exc
        raise DogcatError(
            f"Kaggle download failed: {type(exc).__name__}: {text.splitlines()[0] if text else ''}"
        ) from exc
    path = out_dir / KAGGLE_ZIP
    if not path.is_file():
        raise DogcatError(f"the Kaggle API finished but {path} is missing")
    return path


def extract_member(archive: Path, member: str, dest: Path) -> Path:
    """Copy one member (e.g. ``train.zip``) out of ``archive`` to ``dest``, atomically; kept if same size."""
    with zipfile.ZipFile(archive) as zf:
        try:
            info = next(i for i in zf.infolist() if Path(i.filename).name == member)
        except StopIteration:
            names = ", ".join(sorted(zf.namelist())[:5])
            raise DogcatError(f"{archive} has no {member} (it holds {names}...)") from None
        if dest.is_file() and dest.stat().st_size == info.file_size:
            return dest
        with zf.open(info) as src, atomic_output(dest) as out:
            shutil.copyfileobj(src, out, _CHUNK)
    return dest


def download_dataset(
    source: str = "kaggle",
    out_dir: str | os.PathLike = "data",
    url: str | None = None,
    progress: bool = True,
) -> Path:
    """Download the photos into ``out_dir``; returns the zip to preprocess.

    ``kaggle``: the competition's ``dogs-vs-cats.zip`` through the kaggle package (credentials
    needed; or from ``url`` / ``$DOGCAT_KAGGLE_URL``), then its ``train.zip`` and ``test1.zip``
    are taken out: returns ``out_dir/train.zip``. ``petimages``: Microsoft's zip from ``url`` /
    ``$DOGCAT_PETIMAGES_URL`` / the official address: returns it (``dogcat preprocess`` reads its
    ``PetImages/Cat`` and ``PetImages/Dog`` folders in place).
    """
    out = Path(out_dir)
    if source == "petimages":
        remote = PETIMAGES
        chosen = url or os.environ.get(remote.url_env) or remote.url
        fix = f"Another address: --url URL or {remote.url_env}; or download it by hand into {out}/."
        official = chosen == remote.url  # a mirror's size and checksum are its own
        return download_file(
            chosen, out / remote.filename, size=remote.size if official else None,
            sha256=remote.sha256 if official else None, progress=progress, fix=fix,
        ).path  # fmt: skip
    if source != "kaggle":
        raise DogcatError(f"unknown source {source!r}: choose kaggle or petimages")
    train_zip = out / "train.zip"
    chosen = url or os.environ.get(KAGGLE_URL_ENV)
    if chosen:
        name = Path(urllib.request.urlparse(chosen).path).name or KAGGLE_ZIP
        fix = f"Another address: --url URL or {KAGGLE_URL_ENV}."
        archive = download_file(chosen, out / name, progress=progress, fix=fix).path
    elif train_zip.is_file() and zipfile.is_zipfile(train_zip):
        return train_zip  # already downloaded and extracted
    elif (out / KAGGLE_ZIP).is_file() and zipfile.is_zipfile(out / KAGGLE_ZIP):
        archive = out / KAGGLE_ZIP  # downloaded before; only the extraction is left
    else:
        token = kaggle_credentials()
        if token is None:
            default = Path(os.environ.get("KAGGLE_CONFIG_DIR") or "~/.kaggle") / "kaggle.json"
            raise DogcatError(KAGGLE_SETUP.format(path=default))
        out.mkdir(parents=True, exist_ok=True)
        archive = _kaggle_api_download(out)
    if not zipfile.is_zipfile(archive):
        raise DogcatError(f"{archive} is not a zip file: delete it and download again")
    with zipfile.ZipFile(archive) as zf:
        inner = {Path(n).name for n in zf.namelist()}
    if "train.zip" in inner:  # the competition's bundle: take the two photo zips out
        extract_member(archive, "train.zip", train_zip)
        if "test1.zip" in inner:
            extract_member(archive, "test1.zip", out / "test1.zip")
        return train_zip
    return archive  # already a photo zip (e.g. a mirror of train.zip)


__all__ = ["PETIMAGES", "DownloadResult", "download_dataset", "download_file", "kaggle_credentials"]
