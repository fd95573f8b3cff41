"""Tests for qa.guard: under --auth a signed-out visitor reaches only the sign-in page, and the
upload route takes only the file types the library reads. The app is the UI around a fake
assistant, served on 127.0.0.1; Gradio keeps uploads under tmp_path (GRADIO_TEMP_DIR)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from qa.guard import UploadNames
from qa.library import ALLOWED_SUFFIXES

USER, PASSWORD = "reader", "s3cret"
SIGNED_OUT_REFUSED = [
    ("GET", "/openapi.json"), ("GET", "/gradio_api/heartbeat/abc"), ("POST", "/gradio_api/cancel"),
    ("POST", "/gradio_api/reset"), ("GET", "/gradio_api/app_id"), ("GET", "/gradio_api/info"), ("GET", "/config"),
    ("POST", "/gradio_api/upload"), ("POST", "/gradio_api/queue/join"), ("GET", "/gradio_api/file=/etc/passwd"),
    ("GET", "/docs"), ("GET", "/gradio_api/token"), ("GET", "/monitoring"), ("GET", "/anything/else"),
]
SIGN_IN_PAGE = ["/", "/theme.css", "/manifest.json", "/favicon.ico"]


@pytest.fixture(autouse=True)
def _local(monkeypatch, tmp_path):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))


def serve(tmp_path, auth=None):
    from tests.test_ui import FakeAssistant
    from tests.test_ui_browser import start

    return start(FakeAssistant(), tmp_path / "no-index", tmp_path / "data", auth=auth)


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None, cookie: str = ""):
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method,
                                     headers={**(headers or {}), **({"Cookie": cookie} if cookie else {})})
    if method == "POST" and body is None:
        request.data = b"{}"
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(2000), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000), exc.headers


def sign_in(base: str) -> str:
    body = urllib.parse.urlencode({"username": USER, "password": PASSWORD}).encode()
    status, _, headers = call(base + "login", "POST", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    return "; ".join(c.split(";")[0] for c in headers.get_all("Set-Cookie"))


def multipart(*names: str, data: bytes = b"hello") -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{n}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n" for n in names
    ) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload(base: str, *names: str, cookie: str = ""):
    body, headers = multipart(*names)
    return call(base + "gradio_api/upload", "POST", body, headers, cookie)


def stored(tmp_path) -> list[str]:
    folder = tmp_path / "gradio"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_signed_out_visitor_reaches_only_the_sign_in_page(tmp_path):
    app = serve(tmp_path, auth=[(USER, PASSWORD)])
    try:
        base = app.url
        for method, path in SIGNED_OUT_REFUSED:
            status, body, _ = call(base + path.lstrip("/"), method)
            assert status == 401, f"{method} {path} answered {status} without a login"
            assert b"Not authenticated" in body
        for path in SIGN_IN_PAGE:
            assert call(base + path.lstrip("/"))[0] == 200, path
        cookie = sign_in(base)
        assert call(base + "gradio_api/app_id", cookie=cookie)[0] == 200
        assert call(base + "openapi.json", cookie=cookie)[0] == 200
        assert call(base + "gradio_api/cancel", "POST", b'{"session_hash": "abc", "fn_index": 0, "event_id": "x"}',
                    {"Content-Type": "application/json"}, cookie)[0] == 200
        assert call(base + "gradio_api/app_id", cookie="access-token-forged=abc")[0] == 401
        assert upload(base, "report.pdf")[0] == 401 and stored(tmp_path) == []
        assert upload(base, "report.pdf", cookie=cookie)[0] == 200 and stored(tmp_path) == ["report.pdf"]
    finally:
        app.demo.close()


def test_api_with_credentials_still_answers(tmp_path):
    from gradio_client import Client

    app = serve(tmp_path, auth=[(USER, PASSWORD)])
    try:
        answer = Client(app.url, auth=(USER, PASSWORD), verbose=False).predict("What did the council agree?", api_name="/ask")
        assert answer["question"] == "What did the council agree?"
    finally:
        app.demo.close()


TYPE_REFUSED = "{!r} is not an accepted type; upload " + ", ".join(ALLOWED_SUFFIXES)
FOLDER_REFUSED = "{!r}: file names may not contain a folder or '..'; rename the file"


@pytest.mark.parametrize("name, reason", [
    *((name, TYPE_REFUSED) for name in ["evil.exe", "drawing.svg", "no-extension", "report.pdf.exe", "page.php", "..\\x.js"]),
    # Gradio would keep these under their last part, so the library could not say it refused them
    *((name, FOLDER_REFUSED) for name in ["../evil.md", "..\\evil.txt", "sub/notes.pdf", "/etc/report.html"]),
])
def test_upload_route_refuses_a_name_before_storing_it(tmp_path, name, reason):
    app = serve(tmp_path)
    try:
        status, body, _ = upload(app.url, name)
        assert status == 415
        assert body.decode() == reason.format(name)
        status, _, _ = upload(app.url, "fine.md", name)  # one refused file refuses the request
        assert status == 415
        assert stored(tmp_path) == []
    finally:
        app.demo.close()


@pytest.mark.parametrize("name, status, reason", [
    ("evil.exe", 415, TYPE_REFUSED.format("evil.exe")),  # refused by its name, while the body still streams in
    ("big.pdf", 413, None),  # over the size limit: Gradio's own refusal
])
def test_a_large_refused_upload_is_answered_not_cut_off(tmp_path, name, status, reason):
    from qa.library import MAX_UPLOAD_BYTES

    app = serve(tmp_path)
    try:
        body, headers = multipart(name, data=b"x" * (MAX_UPLOAD_BYTES + (1 << 20)))
        got, text, _ = call(app.url + "gradio_api/upload", "POST", body, headers)  # a reset raises here
        assert got == status
        assert reason is None or text.decode() == reason
        assert stored(tmp_path) == []
    finally:
        app.demo.close()


def test_upload_route_takes_every_accepted_type(tmp_path):
    app = serve(tmp_path)
    try:
        names = [f"doc{n}{suffix.upper() if n % 2 else suffix}" for n, suffix in enumerate(ALLOWED_SUFFIXES)]
        status, body, _ = upload(app.url, *names)
        assert status == 200 and len(json.loads(body)) == len(names)
        assert stored(tmp_path) == sorted(names)
        assert call(app.url + "gradio_api/upload", "POST", b"not multipart", {"Content-Type": "text/plain"})[0] == 415
    finally:
        app.demo.close()


@pytest.mark.parametrize("step", [1, 7, 64, 10_000])
def test_upload_names_are_read_across_pieces(step):
    body, headers = multipart("a.pdf", "b.txt", "c.exe", data=b"filename=\"x.exe\"\r\n" * 50)
    names = UploadNames(headers["Content-Type"], ALLOWED_SUFFIXES)
    for i in range(0, len(body), step):
        names.feed(body[i:i + step])
    assert names.refused == TYPE_REFUSED.format("c.exe")

    body, headers = multipart("a.pdf", "b.txt", data=b'Content-Disposition: form-data; filename="x.exe"\r\n')
    names = UploadNames(headers["Content-Type"], ALLOWED_SUFFIXES)
    for i in range(0, len(body), step):
        names.feed(body[i:i + step])
    assert names.refused is None  # a file's content is not a part header
