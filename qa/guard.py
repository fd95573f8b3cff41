"""The server's own gate in front of Gradio: what a signed-out visitor may reach, and which files
the upload route takes.

Gradio checks the sign-in on the routes that read data, but under `--auth` it still answers
`/openapi.json` (the whole API's schema), `/gradio_api/heartbeat`, `cancel`, `reset`,
`startup-events` and `app_id` to anyone. `ServerGuard`, an ASGI middleware, lets a visitor who
is not signed in reach only what the sign-in page needs (`PUBLIC_PATHS`, `PUBLIC_PREFIXES`) and
the routes Gradio itself guards (they answer 401 themselves); everything else is 401. Whether a
request is signed in is Gradio's own answer over HTTP: the request's cookies are put to its
`/gradio_api/login_check` route in process (no private attribute is read); anything but 200 is no.

`/gradio_api/upload` takes any file Gradio would keep, so the guard reads the names of the files
in the multipart body as it streams in (python-multipart's parser: only the part headers are
looked at, nothing is buffered) and refuses the request with 415, before it is stored, when a
name does not end in one of the accepted suffixes or names a folder (`../notes.md`: Gradio would
keep only its last part, so the library could not tell the user it refused the name). The rest
of a refused body is read and dropped (up to the upload size limit), so that the client, still
sending, reads the refusal rather than a reset connection.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import PurePosixPath

API = "/gradio_api"
UPLOAD_PATH = f"{API}/upload"
LOGIN_CHECK = f"{API}/login_check"
# what the sign-in page loads before anyone has signed in
PUBLIC_PATHS = frozenset({
    "/", "/login", "/login/", "/logout", "/favicon.ico", "/theme.css", "/robots.txt", "/manifest.json",
    "/config", "/config/", f"{API}/login_check", f"{API}/login_check/",
    f"{API}/startup-events",  # Gradio calls it itself once the server is up; it runs startup events once
})
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon", "/gradio_api/theme.css")
# routes Gradio answers 401 itself when signed out; they pass to it unchanged
GRADIO_GUARDED = (f"{API}/queue/", f"{API}/call/", f"{API}/info", f"{API}/file", f"{API}/openapi.json",
                  "/monitoring", f"{API}/run/", f"{API}/api/", "/file")
NOT_SIGNED_IN = {"detail": {"error": "Not authenticated"}}

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def may_pass_signed_out(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or path.startswith(GRADIO_GUARDED)


def refusal(name: str, suffixes: tuple[str, ...]) -> str | None:
    """Why an uploaded file's name is refused, or None when it is accepted."""
    path = name.replace("\\", "/")
    if PurePosixPath(path).suffix.lower() not in suffixes:
        return f"{name!r} is not an accepted type; upload {', '.join(suffixes)}"
    if "/" in path or path in (".", ".."):
        return f"{name!r}: file names may not contain a folder or '..'; rename the file"
    return None


class UploadNames:
    """The file names of a multipart body fed in pieces; `refused` says why the first refused
    one is (`refusal`), or why the body cannot be read as multipart."""

    def __init__(self, content_type: str, suffixes: tuple[str, ...]):
        from python_multipart.multipart import MultipartParser, parse_options_header

        self.suffixes = suffixes
        self.refused: str | None = None
        self._field, self._value, self._headers = b"", b"", {}
        self._parse_options = parse_options_header
        kind, options = parse_options_header(content_type.encode("latin-1", "replace"))
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            self.refused = "the upload is not multipart/form-data"
            self._parser = None
            return
        self._parser = MultipartParser(boundary, callbacks={
            "on_header_field": self._on_field, "on_header_value": self._on_value,
            "on_header_end": self._on_header_end, "on_headers_finished": self._on_headers_finished,
        })

    def feed(self, data: bytes) -> None:
        if self._parser is None or self.refused or not data:
            return
        try:
            self._parser.write(data)
        except Exception:  # noqa: BLE001 - python-multipart raises its own errors for malformed bodies
            self.refused = "the upload is not a well-formed multipart body"

    def _on_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _on_headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition")
        self._headers = {}
        if disposition is None:
            return
        _, options = self._parse_options(disposition)
        name = options.get(b"filename")
        if name is not None and self.refused is None:
            self.refused = refusal(name.decode("utf-8", "replace"), self.suffixes)


class ServerGuard:
    """ASGI middleware: with `auth` on, signed-out requests reach only the sign-in page and the
    routes Gradio guards; uploads must be files with one of `suffixes`, named
    without a folder."""

    def __init__(self, app, auth: bool, suffixes: tuple[str, ...], max_bytes: int):
        self.app, self.auth, self.suffixes = app, auth, tuple(s.lower() for s in suffixes)
        self.max_bytes = max_bytes  # of an upload: a refused one's rest is read (and dropped) up to this

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if self.auth and not may_pass_signed_out(path) and not await self.signed_in(scope):
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await respond(send, 401, NOT_SIGNED_IN)
        if scope["type"] == "http" and path.rstrip("/") == UPLOAD_PATH and scope.get("method") == "POST":
            return await self.upload(scope, receive, send)
        return await self.app(scope, receive, send)

    async def signed_in(self, scope: Scope) -> bool:
        """Gradio's login check for the request's cookies, asked of the app in process."""
        cookies = [(k, v) for k, v in scope.get("headers", []) if k.lower() in (b"cookie", b"host")]
        check = {"type": "http", "asgi": scope.get("asgi", {"version": "3.0"}), "http_version": "1.1", "method": "GET",
                 "scheme": scope.get("scheme", "http"), "path": LOGIN_CHECK, "raw_path": LOGIN_CHECK.encode(),
                 "root_path": scope.get("root_path", ""), "query_string": b"", "headers": cookies,
                 "client": scope.get("client"), "server": scope.get("server")}
        statuses: list[int] = []

        async def nothing() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def status(message: dict) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await self.app(check, nothing, status)
        return statuses == [200]

    async def upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the upload to Gradio while its part headers are read; stop it at a refused name."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        names = UploadNames(headers.get("content-type", ""), self.suffixes)
        if names.refused:
            return await respond(send, 415, names.refused)

        ended = False  # the body has been read to its end

        async def checked() -> dict:
            nonlocal ended
            message = await receive()
            ended = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request":
                names.feed(message.get("body", b""))
                if names.refused:
                    return {"type": "http.disconnect"}  # Gradio stops reading; nothing is kept
            return message

        async def unless_refused(message: dict) -> None:
            if not names.refused:
                await send(message)

        try:
            await self.app(scope, checked, unless_refused)
        except Exception:
            if not names.refused:
                raise
        if names.refused:
            if not ended:
                await drain(receive, self.max_bytes)
            await respond(send, 415, names.refused)


async def drain(receive: Receive, limit: int) -> None:
    """Read and drop the rest of a refused request's body, up to `limit` bytes: a client still
    sending it would otherwise find the connection reset instead of reading why it was refused."""
    read = 0
    while read <= limit:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        read += len(message.get("body", b""))


async def respond(send: Send, status: int, body: dict | str) -> None:
    """A JSON body, or for a str one line of plain text (as Gradio's upload route answers errors:
    its page shows that text to the user)."""
    data, kind = (body.encode(), b"text/plain; charset=utf-8") if isinstance(body, str) else (json.dumps(body).encode(), b"application/json")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
