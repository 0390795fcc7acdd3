"""`dogcat download` against a local HTTP server on 127.0.0.1: resume, 404, size mismatch, no repeats."""

from __future__ import annotations

import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import jpeg

from dogcat_lib import DogcatError
from dogcat_lib.__main__ import main
from dogcat_lib.data import download
from dogcat_lib.data.download import download_dataset, download_file


class Files(BaseHTTPRequestHandler):
    """Serves ``server.files`` with Range support; ``server.cut_after`` drops the next transfer early."""

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        data = server.files.get(self.path)
        if data is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        wanted = self.headers.get("Range")
        if wanted and self.path not in server.no_range:
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        if self.path not in server.no_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path in server.trickle:  # a byte at a time, until the test says stop
            for byte in body:
                if server.stop.wait(0.2):
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            self.connection.close()
            return
        if server.cut_after is not None:
            self.wfile.write(body[: server.cut_after])
            server.cut_after = None
            self.wfile.flush()
            self.connection.close()  # the connection drops mid-transfer
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    httpd.files, httpd.requests, httpd.no_range, httpd.cut_after = {}, [], set(), None
    httpd.no_length, httpd.trickle, httpd.stop = set(), set(), threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.stop.set()
    httpd.shutdown()
    httpd.server_close()


PAYLOAD = bytes(range(256)) * 4000  # 1 MB


def test_download_verifies_and_moves_into_place(server, tmp_path):
    server.files["/photos.zip"] = PAYLOAD
    result = download_file(server.url + "/photos.zip", tmp_path / "photos.zip", progress=False)
    assert result.path.read_bytes() == PAYLOAD and not result.already_there
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos.zip"]  # no .part left


def test_an_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    server.files["/photos.zip"] = PAYLOAD
    server.cut_after = 300_000
    dest = tmp_path / "photos.zip"
    with pytest.raises(DogcatError, match=r"run the same command again to resume"):
        download_file(server.url + "/photos.zip", dest, progress=False)
    assert not dest.exists()  # nothing half-written under the final name
    assert (tmp_path / "photos.zip.part").stat().st_size == 300_000
    result = download_file(server.url + "/photos.zip", dest, progress=False)
    assert result.resumed_from == 300_000 and dest.read_bytes() == PAYLOAD
    assert server.requests[-1] == ("/photos.zip", "bytes=300000-")
    assert not (tmp_path / "photos.zip.part").exists()


def test_a_server_without_range_support_starts_over(server, tmp_path):
    server.files["/photos.zip"] = PAYLOAD
    server.no_range.add("/photos.zip")
    (tmp_path / "photos.zip.part").write_bytes(b"garbage from an older attempt")
    result = download_file(server.url + "/photos.zip", tmp_path / "photos.zip", progress=False)
    assert result.resumed_from == 0 and result.path.read_bytes() == PAYLOAD


def test_a_complete_part_file_is_finished_after_a_416(server, tmp_path):
    server.files["/photos.zip"] = PAYLOAD
    (tmp_path / "photos.zip.part").write_bytes(PAYLOAD)
    result = download_file(server.url + "/photos.zip", tmp_path / "photos.zip", progress=False)
    assert result.path.read_bytes() == PAYLOAD


def test_an_existing_complete_file_is_not_downloaded_again(server, tmp_path):
    dest = tmp_path / "photos.zip"
    dest.write_bytes(PAYLOAD)
    result = download_file(server.url + "/photos.zip", dest, progress=False)
    assert result.already_there and server.requests == []


def test_404_is_one_clear_error_naming_the_url_and_the_fix(server, tmp_path):
    with pytest.raises(DogcatError, match=r"/missing.zip failed: HTTP 404 .*--url"):
        download_file(server.url + "/missing.zip", tmp_path / "m.zip", progress=False, fix="Use --url.")
    assert list(tmp_path.iterdir()) == []


def test_offline_is_one_clear_error(tmp_path):
    with pytest.raises(DogcatError, match=r"cannot download http://127.0.0.1:9/x.zip .*check the internet"):
        download_file("http://127.0.0.1:9/x.zip", tmp_path / "x.zip", progress=False, timeout=5)


def petimages_zip() -> bytes:
    """A zip of photos, but not Kaggle's: laid out like Microsoft's PetImages/Cat/N.jpg and Dog/N.jpg."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("PetImages/Cat/0.jpg", jpeg(0, 0))
        zf.writestr("PetImages/Dog/0.jpg", jpeg(1, 1))
        zf.writestr("readme[1].txt", "Microsoft Kaggle Cats and Dogs Dataset")
    return buffer.getvalue()


def kaggle_bundle(photo_zip_bytes: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("train.zip", photo_zip_bytes)
        zf.writestr("test1.zip", photo_zip_bytes)
        zf.writestr("sampleSubmission.csv", "id,label\n1,0\n")
    return buffer.getvalue()


def test_cli_downloads_kaggles_bundle_from_a_mirror_and_takes_train_zip_out(
    server, tmp_path, photo_zip, capsys, monkeypatch
):
    server.files["/dogs-vs-cats.zip"] = kaggle_bundle(photo_zip.read_bytes())
    monkeypatch.setenv("DOGCAT_KAGGLE_URL", server.url + "/dogs-vs-cats.zip")
    out = tmp_path / "data"
    assert main(["download", "-o", str(out), "-q"]) == 0
    assert (out / "train.zip").read_bytes() == photo_zip.read_bytes()
    assert (out / "test1.zip").is_file()
    assert f"dogcat preprocess {out / 'train.zip'}" in capsys.readouterr().out
    assert main(["download", "-o", str(out), "-q"]) == 0  # again: nothing is fetched
    assert len(server.requests) == 1


def test_cli_url_404_is_one_line_naming_the_other_way(server, tmp_path, capsys):
    assert main(["download", "--url", server.url + "/gone.zip", "-o", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("dogcat download: error: download of http://127.0.0.1") and "HTTP 404" in err
    assert "\n" not in err and "DOGCAT_KAGGLE_URL" in err


def test_kaggle_with_credentials_uses_the_kaggle_package(tmp_path, monkeypatch, photo_zip):
    """The official package's API is called (a stand-in here: no internet) and train.zip taken out."""
    import sys
    import types

    bundle = kaggle_bundle(photo_zip.read_bytes())
    calls = []

    class KaggleApi:
        def authenticate(self):
            calls.append("authenticate")

        def competition_download_files(self, competition, path, quiet):
            calls.append(competition)
            (Path(path) / "dogs-vs-cats.zip").write_bytes(bundle)  # where the real client writes

    module = types.ModuleType("kaggle.api.kaggle_api_extended")
    module.KaggleApi = KaggleApi
    for name in ("kaggle", "kaggle.api"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "kaggle.api.kaggle_api_extended", module)
    monkeypatch.delenv("DOGCAT_KAGGLE_URL", raising=False)
    monkeypatch.setenv("KAGGLE_USERNAME", "me")
    monkeypatch.setenv("KAGGLE_KEY", "abc")
    train_zip = download_dataset(tmp_path / "data", progress=False)
    assert calls == ["authenticate", "dogs-vs-cats"]
    assert train_zip == tmp_path / "data" / "train.zip" and zipfile.is_zipfile(train_zip)
    train_zip.unlink()  # an extraction that did not finish: the bundle is reused, not downloaded again
    assert download_dataset(tmp_path / "data", progress=False) == train_zip
    assert calls == ["authenticate", "dogs-vs-cats"] and zipfile.is_zipfile(train_zip)


# ------------------------------------------------ issue 14, item 6: downloads are verified


def one_line_error(capsys, command: str = "download") -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dogcat {command}: error: ") and "\n" not in err, err
    return err


HTML = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>\n"


def test_a_url_of_an_html_page_is_refused_and_not_kept(server, tmp_path, capsys):
    server.files["/page"] = HTML
    out = tmp_path / "data"
    args = ["download", "--url", server.url + "/page", "-o", str(out), "-q"]
    assert main(args) == 1
    err = one_line_error(capsys)
    assert "HTML" in err and "not a zip" in err
    assert not out.exists() or list(out.iterdir()) == []


def test_a_file_already_there_that_is_not_the_download_is_never_replaced(server, tmp_path, photo_zip, capsys):
    out = tmp_path / "data"
    out.mkdir()
    (out / "dogs-vs-cats.zip").write_bytes(HTML)  # an older version's, or the user's own
    server.files["/d.zip"] = kaggle_bundle(photo_zip.read_bytes())
    args = ["download", "--url", server.url + "/d.zip", "-o", str(out), "-q"]
    assert main(args) == 1
    assert "dogs-vs-cats.zip: exists and is not the download (an HTML page" in one_line_error(capsys)
    assert (out / "dogs-vs-cats.zip").read_bytes() == HTML
    (out / "dogs-vs-cats.zip").unlink()  # moved away by the user: now it downloads
    assert main(args) == 0
    assert (out / "dogs-vs-cats.zip").read_bytes() == server.files["/d.zip"]


def test_a_body_cut_short_without_a_length_never_gets_the_final_name(server, tmp_path, photo_zip, capsys):
    bundle = kaggle_bundle(photo_zip.read_bytes())
    server.files["/dogs-vs-cats.zip"] = bundle
    server.no_length.add("/dogs-vs-cats.zip")
    server.cut_after = len(bundle) // 2
    out = tmp_path / "data"
    url = server.url + "/dogs-vs-cats.zip"
    assert main(["download", "--url", url, "-o", str(out), "-q"]) == 1
    assert "incomplete" in one_line_error(capsys)
    assert sorted(p.name for p in out.iterdir()) == ["dogs-vs-cats.zip.part"]  # kept to resume
    assert main(["download", "--url", url, "-o", str(out), "-q"]) == 0  # the rerun resumes it
    assert (out / "dogs-vs-cats.zip").read_bytes() == bundle
    assert (out / "train.zip").read_bytes() == photo_zip.read_bytes()


def test_a_bundle_whose_train_zip_is_not_a_zip_is_refused(server, tmp_path, capsys):
    server.files["/dogs-vs-cats.zip"] = kaggle_bundle(HTML)
    out = tmp_path / "data"
    assert main(["download", "--url", server.url + "/dogs-vs-cats.zip", "-o", str(out), "-q"]) == 1
    assert "train.zip" in one_line_error(capsys)
    assert not (out / "train.zip").exists() and not (out / "dogs-vs-cats.zip").exists()


def test_a_zip_without_kaggle_photos_is_refused(server, tmp_path, capsys):
    server.files["/train.zip"] = petimages_zip()  # a zip, but not of cat.N.jpg / dog.N.jpg
    out = tmp_path / "data"
    assert main(["download", "--url", server.url + "/train.zip", "-o", str(out), "-q"]) == 1
    assert "cat.N.jpg" in one_line_error(capsys)
    assert not (out / "train.zip").exists()


def test_a_bundle_served_as_train_zip_does_not_overwrite_itself(server, tmp_path, photo_zip, capsys):
    server.files["/train.zip"] = kaggle_bundle(photo_zip.read_bytes())
    out = tmp_path / "data"
    assert main(["download", "--url", server.url + "/train.zip", "-o", str(out), "-q"]) == 0
    assert (out / "train.zip").read_bytes() == photo_zip.read_bytes()
    assert (out / "test1.zip").read_bytes() == photo_zip.read_bytes()


def test_a_server_that_trickles_is_given_up_on(server, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "STALL_SECONDS", 1.0, raising=False)
    server.files["/slow.zip"] = PAYLOAD
    server.trickle.add("/slow.zip")
    dest = tmp_path / "slow.zip"
    box = {}

    def run():
        try:
            download_file(server.url + "/slow.zip", dest, progress=False)
        except DogcatError as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(20)
    server.stop.set()  # end the trickle either way, so a failing test does not hang
    thread.join(10)
    assert "error" in box, "a download at a byte every 0.2 s was never given up"
    assert "too slow" in str(box["error"]) and "run the same command again" in str(box["error"])
    assert not dest.exists()


@pytest.mark.parametrize("url", ["not-a-url", "http://[::1", "ftp://example.com/x.zip"])
def test_a_malformed_url_is_one_line(tmp_path, capsys, url):
    assert main(["download", "--url", url, "-o", str(tmp_path / "d")]) == 1
    assert "--url" in one_line_error(capsys)
    assert not (tmp_path / "d").exists()


# ---------------------------------------------- issue 14, item 7: Kaggle's current login

FAKE_KAGGLE = """
import json, os, sys
from pathlib import Path

CONFIG = json.loads(os.environ["FAKE_KAGGLE"])
if CONFIG.get("exit_on_import"):  # kaggle 1.8's __init__ authenticates at import time
    print("You must log in to Kaggle to use the Kaggle API.")
    sys.exit(1)
"""

FAKE_KAGGLE_API = """
import json, os, sys
from pathlib import Path

import requests

CONFIG = json.loads(os.environ["FAKE_KAGGLE"])


class KaggleApi:
    def authenticate(self):
        token_file = Path(os.environ.get("HOME", "~")) / ".kaggle" / "access_token"
        if not (os.environ.get("KAGGLE_API_TOKEN") or token_file.is_file()):
            print("Authentication required to call the Kaggle API.")  # the real help text, shortened
            exit(1)

    def competition_download_files(self, competition, path=None, force=False, quiet=True):
        failure = CONFIG.get("fail")
        if failure in ("401", "403"):
            response = requests.Response()
            response.status_code = int(failure)
            response.reason = "Unauthorized" if failure == "401" else "Forbidden"
            response.url = "https://www.kaggle.com/api/v1/competitions/data/download-all/" + competition
            raise requests.HTTPError(f"{failure} Client Error: {response.reason} for url: {response.url}",
                                     response=response)
        if failure == "network":
            raise requests.ConnectionError("HTTPSConnectionPool(host='www.kaggle.com', port=443): "
                                           "Max retries exceeded\\n(Caused by NameResolutionError)")
        Path(path, competition + ".zip").write_bytes(Path(CONFIG["serve"]).read_bytes())
"""


@pytest.fixture
def fake_kaggle(tmp_path, monkeypatch):
    """The kaggle package as the real client behaves, written to disk (there is no internet here)."""
    root = tmp_path / "site"
    (root / "kaggle" / "api").mkdir(parents=True)
    (root / "kaggle" / "__init__.py").write_text(FAKE_KAGGLE)
    (root / "kaggle" / "api" / "__init__.py").write_text("")
    (root / "kaggle" / "api" / "kaggle_api_extended.py").write_text(FAKE_KAGGLE_API)
    monkeypatch.syspath_prepend(str(root))
    import sys

    for name in [n for n in sys.modules if n == "kaggle" or n.startswith("kaggle.")]:
        monkeypatch.delitem(sys.modules, name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    for name in (
        "KAGGLE_API_TOKEN",
        "KAGGLE_USERNAME",
        "KAGGLE_KEY",
        "KAGGLE_CONFIG_DIR",
        "DOGCAT_KAGGLE_URL",
    ):
        monkeypatch.delenv(name, raising=False)

    def configure(**config):
        import json

        monkeypatch.setenv("FAKE_KAGGLE", json.dumps(config))
        for name in [n for n in sys.modules if n == "kaggle" or n.startswith("kaggle.")]:
            del sys.modules[name]

    yield configure
    for name in [n for n in sys.modules if n == "kaggle" or n.startswith("kaggle.")]:
        del sys.modules[name]


def test_kaggle_api_token_alone_is_enough(fake_kaggle, tmp_path, photo_zip, monkeypatch, capsys):
    served = tmp_path / "served.zip"
    served.write_bytes(kaggle_bundle(photo_zip.read_bytes()))
    fake_kaggle(serve=str(served))
    monkeypatch.setenv("KAGGLE_API_TOKEN", "KGAT_0123456789abcdef")  # no kaggle.json anywhere
    out = tmp_path / "data"
    assert main(["download", "-o", str(out), "-q"]) == 0
    assert (out / "train.zip").read_bytes() == photo_zip.read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["dogs-vs-cats.zip", "test1.zip", "train.zip"]


def test_an_access_token_file_is_enough(fake_kaggle, tmp_path, photo_zip):
    served = tmp_path / "served.zip"
    served.write_bytes(kaggle_bundle(photo_zip.read_bytes()))
    fake_kaggle(serve=str(served))
    (tmp_path / "home" / ".kaggle").mkdir()
    (tmp_path / "home" / ".kaggle" / "access_token").write_text("KGAT_0123456789abcdef")
    assert main(["download", "-o", str(tmp_path / "data"), "-q"]) == 0


@pytest.mark.parametrize("exit_on_import", [False, True])
def test_no_kaggle_credentials_is_one_line_naming_every_way(fake_kaggle, tmp_path, capsys, exit_on_import):
    fake_kaggle(exit_on_import=exit_on_import)
    assert main(["download", "-o", str(tmp_path / "data")]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("dogcat download: error: ") and "\n" not in err
    for needed in ("KAGGLE_API_TOKEN", "access_token", "Generate New Token", "rules", "PetImages"):
        assert needed in err
    assert captured.out == ""  # the client's own help text is not printed above it


@pytest.mark.parametrize(
    ("fail", "expected"),
    [
        ("401", "Kaggle did not accept the API token (401)"),
        ("403", "Kaggle refused the download (403): accept the competition's rules"),
        ("network", "cannot reach Kaggle"),
    ],
)
def test_kaggle_client_errors_are_one_line(fake_kaggle, tmp_path, monkeypatch, capsys, fail, expected):
    fake_kaggle(fail=fail)
    monkeypatch.setenv("KAGGLE_API_TOKEN", "KGAT_0123456789abcdef")
    out = tmp_path / "data"
    assert main(["download", "-o", str(out), "-q"]) == 1
    err = one_line_error(capsys)
    assert expected in err
    assert not (out / "dogs-vs-cats.zip").exists() and not (out / "train.zip").exists()


def test_kaggle_download_of_an_html_page_is_refused(fake_kaggle, tmp_path, monkeypatch, capsys):
    served = tmp_path / "served.zip"
    served.write_bytes(HTML)
    fake_kaggle(serve=str(served))
    monkeypatch.setenv("KAGGLE_API_TOKEN", "KGAT_0123456789abcdef")
    out = tmp_path / "data"
    assert main(["download", "-o", str(out), "-q"]) == 1
    assert "HTML" in one_line_error(capsys)
    assert not (out / "dogs-vs-cats.zip").exists() and not (out / "train.zip").exists()
