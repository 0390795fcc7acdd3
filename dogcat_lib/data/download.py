"""Get the real photos (``dogcat download``): Kaggle's competition files.

Every download streams to ``NAME.part`` beside the target with a progress bar, resumes an
interrupted ``.part`` with an HTTP Range request where the server allows it, checks the size
the server sent and what the zip holds (Kaggle's train.zip of cat.N.jpg /
dog.N.jpg), and only then renames the file into place: the final name never holds half a file
or an HTML page. A complete file is not downloaded again;
a file of that name that fails the same check is not the download: refused, never replaced.
A server silent for :data:`STALL_SECONDS`, or sending less than :data:`MIN_RATE` bytes a second
over that long, is given up on (the ``.part`` is kept to resume); a download past ``max_bytes``
or a full disk keeps nothing.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import os
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from tqdm.auto import tqdm

from ..plumbing.atomic import atomic_path
from ..plumbing.errors import DogcatError

_CHUNK = 1 << 20
_USER_AGENT = "dogcat-course-downloader"
#: A download that gets less than MIN_RATE bytes a second, averaged over STALL_SECONDS, or no byte
#: for STALL_SECONDS (the first one included), is stopped: an answer within 20 s.
MIN_RATE = 1024
STALL_SECONDS = 10.0
MAX_BYTES = 2_000_000_000  # the default size cap: Kaggle's bundle is under 1 GB
_CUT_ZIP = "a damaged or incomplete zip"  # what describe_content calls a zip that ends early
_KAGGLE_PHOTO = re.compile(r"(cat|dog)\.\d+\.(jpe?g|png)", re.IGNORECASE)

KAGGLE_COMPETITION = "dogs-vs-cats"
KAGGLE_ZIP = "dogs-vs-cats.zip"  # what the Kaggle API downloads: train.zip, test1.zip, sampleSubmission.csv
KAGGLE_URL_ENV = "DOGCAT_KAGGLE_URL"  # a mirror of dogs-vs-cats.zip (or of train.zip) to use instead

KAGGLE_RULES = "https://www.kaggle.com/c/dogs-vs-cats/rules"
KAGGLE_SETUP = (
    "the Kaggle client found no login: on https://www.kaggle.com/settings (API) click "
    '"Generate New Token", then set KAGGLE_API_TOKEN to it or save it as ~/.kaggle/access_token '
    "(or run `kaggle auth login`; an older kaggle.json also works), and accept the competition's "
    f"rules at {KAGGLE_RULES}. No account? Microsoft's PetImages zip needs none: download it in a browser "
    "(the README gives the link) and `dogcat preprocess` it."
)


@dataclass
class DownloadResult:
    """What :func:`download_file` did: the file, and whether it was already there or resumed."""

    path: Path
    already_there: bool = False
    resumed_from: int = 0


def describe_content(path: Path) -> str:
    """What a file that should be a zip is instead: "an HTML page", "an empty file", ..."""
    with open(path, "rb") as f:
        head = f.read(2048)
    if not head:
        return "an empty file"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<?xml", b"<head", b"<body")) or b"<html" in text:
        return "an HTML page (a login, error or 'file moved' page?), not a zip"
    if head.startswith(b"PK\x03\x04"):  # how a zip's first member starts
        return _CUT_ZIP
    return "not a zip file"


def _zip_names(path: Path, label: str) -> list[str]:
    """The member names of the zip at ``path``, or DogcatError saying what the file is instead.

    A zip's first member starts at byte 0. A bundle cut short can still open as a zip: the last
    complete zip *inside* it (train.zip) has its own directory, found at a later offset.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if infos and min(info.header_offset for info in infos) != 0:
                raise zipfile.BadZipFile("members do not start at byte 0")
            return [info.filename for info in infos]
    except (zipfile.BadZipFile, OSError, EOFError):
        raise DogcatError(f"{label} is {describe_content(path)}") from None


def verify_kaggle(path: Path, label: str, photos_only: bool = False) -> None:
    """DogcatError unless ``path`` is a zip of photos named cat.N.jpg and dog.N.jpg (Kaggle's
    train.zip) or, unless ``photos_only``, Kaggle's bundle holding a train.zip."""
    names = {PurePosixPath(name).name for name in _zip_names(path, label)}
    found = {m.group(1).lower() for m in map(_KAGGLE_PHOTO.fullmatch, names) if m}
    if found != {"cat", "dog"} and (photos_only or "train.zip" not in names):
        raise DogcatError(
            f"{label} is a zip without photos named cat.N.jpg and dog.N.jpg: it is not Kaggle's "
            "dogs-vs-cats train.zip"
        )


_verify_photos = partial(verify_kaggle, photos_only=True)


def _check(path: Path, label: str, verify: Callable | None, size: int | None) -> None:
    """DogcatError unless ``path`` is ``size`` bytes and passes ``verify`` (each where given): what
    makes a file the download, just fetched or already there."""
    got = path.stat().st_size
    if size is not None and got != size:
        raise DogcatError(f"{label} is {got:,} bytes, not {size:,}")
    if verify is not None:
        verify(path, label)


def _already(dest: Path, verify: Callable | None, size: int | None = None) -> bool:
    """True when ``dest`` is the download already (:func:`_check`), False when nothing is there;
    FileExistsError for another file of that name: it is never replaced."""
    if not os.path.lexists(dest):
        return False
    with contextlib.suppress(DogcatError):
        if dest.is_file():
            _check(dest, str(dest), verify, size)
            return True
    why = f"exists and is not the download ({describe_content(dest)}): move it away, or give another -o"
    raise FileExistsError(errno.EEXIST, why, str(dest))


def download_file(
    url: str,
    dest: str | os.PathLike,
    *,
    progress: bool = True,
    timeout: float | None = None,
    fix: str = "",
    verify: Callable[[Path, str], object] | None = None,
    max_bytes: int = MAX_BYTES,
) -> DownloadResult:
    """Download ``url`` to ``dest`` via ``dest.part``: resumable, verified, atomic, not repeated
    (what is kept and what removed when it fails: the module's docstring).

    The length the server sends is checked. ``verify(path, label)``: raises DogcatError unless the
    file holds what it should (e.g. :func:`verify_kaggle`), on the download before its rename and
    on a file already at ``dest``. Every DogcatError names the URL, what went wrong and ``fix``
    (e.g. which option or environment variable sets another URL). ``timeout``: default STALL_SECONDS.
    """
    dest = Path(dest)
    if _already(dest, verify):
        return DownloadResult(dest, already_there=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": _USER_AGENT} | ({"Range": f"bytes={start}-"} if start else {})
    hint = f" {fix}" if fix else ""
    try:
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout or STALL_SECONDS) as response:
            resumed = start if response.status == 206 else 0  # 200: the server ignores Range
            total = None if response.length is None else resumed + response.length
            if total is not None and total > max_bytes:
                raise _too_large(total, max_bytes)
            bar = {"total": total, "initial": resumed, "desc": dest.name, "disable": not progress}
            bar |= {"unit": "B", "unit_scale": True, "unit_divisor": 1024}  # from the first frame on
            with open(part, "ab" if resumed else "wb") as raw, tqdm.wrapattr(raw, "write", **bar) as out:
                _stream(response, out, url, part, max_bytes)
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not start:
            raise DogcatError(f"download of {url} failed: HTTP {exc.code} {exc.reason}.{hint}") from exc
        total = resumed = start  # the range starts at the end: the .part may be the whole file
    except (OSError, http.client.HTTPException) as exc:  # no answer, a cut, a full disk, the size cap
        if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            part.unlink(missing_ok=True)
            raise DogcatError(f"download of {url} stopped ({exc.strerror}); nothing was kept.{hint}") from exc
        raise DogcatError(
            f"cannot download {url} ({getattr(exc, 'reason', exc)}): check the internet connection, "
            f"then run the same command again to resume.{hint}"
        ) from exc
    got = part.stat().st_size
    expected = total  # the length the server sent, if it sent one
    try:
        _check(part, f"the download of {url}", verify, expected)
    except DogcatError as exc:
        # kept to resume if it ended early: short of its length, or a zip cut short where none was sent
        if (got < expected) if expected is not None else (_CUT_ZIP in str(exc)):
            raise DogcatError(f"{exc}: it ended early; run the same command again to resume.{hint}") from None
        part.unlink()  # anything else is not the download
        raise DogcatError(f"{exc}; it was removed.{hint}") from None
    os.replace(part, dest)
    return DownloadResult(dest, resumed_from=resumed)


def _too_large(size: int, max_bytes: int) -> OSError:
    return OSError(errno.EFBIG, f"{size:,} bytes or more, over --max-bytes {max_bytes:,}: check the URL")


def _stream(response, out, url: str, part: Path, max_bytes: int) -> None:
    """Copy the body to ``out`` as it arrives; DogcatError when it comes slower than MIN_RATE, and
    an EFBIG OSError when the file would pass ``max_bytes``.

    ``read1`` returns what has arrived instead of waiting for a whole MB, so a server that
    trickles a byte every few seconds is noticed (each byte would reset a socket timeout).
    """
    window_start, window_bytes = time.monotonic(), 0
    while block := response.read1(_CHUNK):
        if out.tell() + len(block) > max_bytes:
            raise _too_large(out.tell() + len(block), max_bytes)
        out.write(block)
        window_bytes += len(block)
        elapsed = time.monotonic() - window_start
        if elapsed >= STALL_SECONDS:
            if window_bytes < MIN_RATE * elapsed:
                raise DogcatError(
                    f"download of {url} is too slow ({window_bytes:,} bytes in the last {elapsed:.0f} s); "
                    f"{out.tell():,} bytes kept in {part.name}: run the same command again to resume, "
                    "later or from another network"
                )
            window_start, window_bytes = time.monotonic(), 0


def _kaggle_error(exc: BaseException) -> DogcatError:
    """One line for what the Kaggle client raised: a refused token, the rules, the network, other."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(exc, "status", None)
    text = " ".join(str(exc).split())
    if status == 401 or (status is None and "401" in text):
        return DogcatError(
            "Kaggle did not accept the API token (401): generate a new one on "
            'https://www.kaggle.com/settings (API, "Generate New Token") and set KAGGLE_API_TOKEN or '
            "save it as ~/.kaggle/access_token"
        )
    if status == 403 or (status is None and ("403" in text or "Forbidden" in text)):
        return DogcatError(
            f"Kaggle refused the download (403): accept the competition's rules at {KAGGLE_RULES} "
            "with the account of your token, then run the same command again"
        )
    names = " ".join(cls.__name__ for cls in type(exc).__mro__)
    if status is None and ("ConnectionError" in names or "Timeout" in names or "gaierror" in names):
        return DogcatError(
            f"cannot reach Kaggle ({type(exc).__name__}): check the internet connection, then run the "
            "same command again"
        )
    where = f" (HTTP {status})" if status else ""
    return DogcatError(f"Kaggle download failed{where}: {type(exc).__name__}: {text[:200]}")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The Kaggle client prints its own help and warnings; ours is the one line the user reads."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def _kaggle_api_download(out_dir: Path, progress: bool) -> None:
    """``out_dir/dogs-vs-cats.zip`` through the official ``kaggle`` package, which logs in by itself.

    The client (1.8+/2.x) finds ``KAGGLE_API_TOKEN``, ``~/.kaggle/access_token``, an OAuth login
    (``kaggle auth login``) or a legacy ``kaggle.json``. It downloads into a hidden folder (where
    it resumes an interrupted download); the zip gets its final name once it holds train.zip.
    """
    staging = out_dir / ".kaggle-download"
    try:
        with _quiet():
            from kaggle.api.kaggle_api_extended import KaggleApi

            api = KaggleApi()
            api.authenticate()
        staging.mkdir(exist_ok=True)
        with contextlib.nullcontext() if progress else _quiet():
            api.competition_download_files(KAGGLE_COMPETITION, path=str(staging), quiet=not progress)
    except ImportError:
        raise DogcatError("the Kaggle download needs the kaggle package: pip install kaggle") from None
    except SystemExit:  # the client prints its help and exits when it finds no login
        raise DogcatError(KAGGLE_SETUP) from None
    except Exception as exc:  # requests' HTTPError / ConnectionError, the old ApiException, ...
        raise _kaggle_error(exc) from exc
    downloaded = staging / KAGGLE_ZIP
    if not downloaded.is_file():
        raise DogcatError(f"the Kaggle client finished but wrote no {KAGGLE_ZIP} into {staging}")
    try:
        verify_kaggle(downloaded, "Kaggle's download")
    except DogcatError as exc:
        downloaded.unlink()
        raise DogcatError(f"{exc}; it was removed: run the same command again") from None
    os.replace(downloaded, out_dir / KAGGLE_ZIP)
    shutil.rmtree(staging, ignore_errors=True)  # only the client's resume markers are left there


def _chosen_url(url: str | None, env: str) -> str | None:
    """``--url``, else the environment variable ``env``; None when neither is set, DogcatError naming
    the one used unless it is an http(s) address with a host."""
    option = "--url" if url else f"${env}"
    url = url or os.environ.get(env)
    if not url:
        return None
    bad = DogcatError(f"{option} {url!r} is not an http:// or https:// address: give the full URL of the zip")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise bad from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise bad
    return url


def download_dataset(
    out_dir: str | os.PathLike = "data",
    url: str | None = None,
    progress: bool = True,
    max_bytes: int | None = None,
) -> Path:
    """Download Kaggle's photos into ``out_dir``; returns the zip to preprocess, ``out_dir/train.zip``.

    The competition's ``dogs-vs-cats.zip`` comes through the kaggle package (it logs in by
    itself; or from ``url`` / ``$DOGCAT_KAGGLE_URL``), then its ``train.zip`` and ``test1.zip``
    are taken out. Every zip is checked for what it must hold before it gets its final name,
    which says what it is (never the URL's last part); ``max_bytes`` (default :data:`MAX_BYTES`)
    caps a download's size.
    """
    out = Path(out_dir)
    chosen = _chosen_url(url, KAGGLE_URL_ENV)
    if out.exists() and not out.is_dir():
        raise DogcatError(f"-o {out} is a file: give the folder to download into (default data/)")
    options = {"progress": progress, "max_bytes": max_bytes or MAX_BYTES}
    bundle = out / KAGGLE_ZIP
    if _already(out / "train.zip", _verify_photos):
        return out / "train.zip"  # already downloaded and taken out
    if chosen:  # a mirror of Kaggle's bundle, or of train.zip itself: named so until we know
        fix = f"Another address: --url URL or {KAGGLE_URL_ENV}."
        fresh = not download_file(chosen, bundle, fix=fix, verify=verify_kaggle, **options).already_there
    else:
        fresh = not _already(bundle, verify_kaggle)  # else only the taking out is left
        if fresh:
            out.mkdir(parents=True, exist_ok=True)
            _kaggle_api_download(out, progress)
    return _take_out_photos(bundle, out, fresh)


def _take_out_photos(archive: Path, out: Path, fresh: bool) -> Path:
    """train.zip (and test1.zip) out of Kaggle's bundle, each checked before it gets its name; a
    photo zip is itself named train.zip. A bundle damaged inside is removed if ``fresh`` (just
    downloaded: the next run fetches it anew), else left for the user to delete."""
    with zipfile.ZipFile(archive) as zf:
        inner = {PurePosixPath(info.filename).name: info for info in zf.infolist()}
    if "train.zip" not in inner:  # a photo zip (a mirror of train.zip; checked by verify_kaggle)
        os.replace(archive, out / "train.zip")  # no train.zip there: download_dataset checked
        return out / "train.zip"
    try:
        for name, verify in (("train.zip", _verify_photos), ("test1.zip", _zip_names)):
            if name not in inner or _already(out / name, verify, inner[name].file_size):
                continue  # a test1.zip Kaggle left out, or one taken out before
            with zipfile.ZipFile(archive) as zf, zf.open(inner[name]) as src, atomic_path(out / name) as tmp:
                with open(tmp, "wb") as copy:
                    shutil.copyfileobj(src, copy, _CHUNK)
                verify(tmp, f"{name} inside {archive}")
    except (DogcatError, zipfile.BadZipFile, EOFError, zlib.error) as exc:  # a bad CRC, a cut member
        why = exc if isinstance(exc, DogcatError) else f"{name} inside {archive} is damaged ({exc})"
        if not fresh:
            raise DogcatError(f"{why}: delete {archive} and run the same command again") from None
        archive.unlink()
        raise DogcatError(f"{why}; the download was removed: run the same command again") from None
    return out / "train.zip"
