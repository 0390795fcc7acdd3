"""`dogcat download` against a local HTTP server on 127.0.0.1: resume, 404, size mismatch, no repeats."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dogcat_lib import DogcatError
from dogcat_lib.__main__ import main
from dogcat_lib.data.download import download_dataset, download_file, kaggle_credentials


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
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
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
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


PAYLOAD = bytes(range(256)) * 4000  # 1 MB


def test_download_verifies_and_moves_into_place(server, tmp_path):
    server.files["/photos.zip"] = PAYLOAD
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    result = download_file(
        server.url + "/photos.zip", tmp_path / "photos.zip", size=len(PAYLOAD), sha256=digest, progress=False
    )
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
    result = download_file(
        server.url + "/photos.zip", tmp_path / "photos.zip", size=len(PAYLOAD), progress=False
    )
    assert result.path.read_bytes() == PAYLOAD


def test_an_existing_complete_file_is_not_downloaded_again(server, tmp_path):
    dest = tmp_path / "photos.zip"
    dest.write_bytes(PAYLOAD)
    result = download_file(server.url + "/photos.zip", dest, size=len(PAYLOAD), progress=False)
    assert result.already_there and server.requests == []


def test_404_is_one_clear_error_naming_the_url_and_the_fix(server, tmp_path):
    with pytest.raises(DogcatError, match=r"/missing.zip failed: HTTP 404 .*--url"):
        download_file(server.url + "/missing.zip", tmp_path / "m.zip", progress=False, fix="Use --url.")
    assert list(tmp_path.iterdir()) == []


def test_size_and_checksum_mismatches_are_refused(server, tmp_path):
    server.files["/photos.zip"] = PAYLOAD
    with pytest.raises(DogcatError, match=r"serves 1,024,000 bytes, but p.zip is 999 bytes"):
        download_file(server.url + "/photos.zip", tmp_path / "p.zip", size=999, progress=False)
    with pytest.raises(DogcatError, match="SHA-256 does not match"):
        download_file(server.url + "/photos.zip", tmp_path / "p.zip", sha256="0" * 64, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_offline_is_one_clear_error(tmp_path):
    with pytest.raises(DogcatError, match=r"cannot download http://127.0.0.1:9/x.zip .*check the internet"):
        download_file("http://127.0.0.1:9/x.zip", tmp_path / "x.zip", progress=False, timeout=5)


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


def test_cli_petimages_url_option_and_404(server, tmp_path, capsys):
    server.files["/pets.zip"] = PAYLOAD
    out = tmp_path / "data"
    assert (
        main(["download", "--source", "petimages", "--url", server.url + "/pets.zip", "-o", str(out), "-q"])
        == 0
    )
    assert (out / "kagglecatsanddogs_5340.zip").read_bytes() == PAYLOAD
    assert (
        main(
            [
                "download",
                "--source",
                "petimages",
                "--url",
                server.url + "/gone.zip",
                "-o",
                str(tmp_path / "x"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("dogcat download: error: download of http://127.0.0.1") and "HTTP 404" in err
    assert "\n" not in err and "DOGCAT_PETIMAGES_URL" in err


def test_kaggle_without_credentials_says_how_to_set_them_up(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.delenv("DOGCAT_KAGGLE_URL", raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "kaggle"))
    assert kaggle_credentials() is None
    assert main(["download", "-o", str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    assert "kaggle.json" in err and "KAGGLE_KEY" in err and "rules" in err and "petimages" in err
    assert not (tmp_path / "data").exists()
    (tmp_path / "kaggle").mkdir()
    (tmp_path / "kaggle" / "kaggle.json").write_text('{"username": "me", "key": "abc"}')
    assert kaggle_credentials() == tmp_path / "kaggle" / "kaggle.json"
    (tmp_path / "kaggle" / "kaggle.json").write_text("{not json")
    with pytest.raises(DogcatError, match="not a valid Kaggle token"):
        kaggle_credentials()


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
            (tmp_path / "data" / "dogs-vs-cats.zip").write_bytes(bundle)

    module = types.ModuleType("kaggle.api.kaggle_api_extended")
    module.KaggleApi = KaggleApi
    for name in ("kaggle", "kaggle.api"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "kaggle.api.kaggle_api_extended", module)
    monkeypatch.delenv("DOGCAT_KAGGLE_URL", raising=False)
    monkeypatch.setenv("KAGGLE_USERNAME", "me")
    monkeypatch.setenv("KAGGLE_KEY", "abc")
    train_zip = download_dataset("kaggle", tmp_path / "data", progress=False)
    assert calls == ["authenticate", "dogs-vs-cats"]
    assert train_zip == tmp_path / "data" / "train.zip" and zipfile.is_zipfile(train_zip)
    train_zip.unlink()  # an extraction that did not finish: the bundle is reused, not downloaded again
    assert download_dataset("kaggle", tmp_path / "data", progress=False) == train_zip
    assert calls == ["authenticate", "dogs-vs-cats"] and zipfile.is_zipfile(train_zip)
