"""A scripted OpenAI-compatible chat completions server on 127.0.0.1 for tests.

    with ChatServer(Reply("Royalties are 5% [1].")) as server:
        config = LLMConfig(server.base_url, "test-model", timeout=2)
        ...
        server.requests[0].json["messages"]

It listens on an ephemeral port, answers POST /v1/chat/completions with the given
behaviour, records every request it receives, and never touches the network beyond
the loopback interface.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    parts: tuple[tuple[float, bytes], ...] = ()  # streamed after `body`: (seconds to wait, bytes)


def completion(content) -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    }


class Behaviour:
    """What the server does with one request; `delay` seconds pass before it responds."""

    delay: float = 0.0

    def respond(self, request: Request) -> Response:
        raise NotImplementedError


class Reply(Behaviour):
    """A well-formed completion whose message content is `content`."""

    def __init__(self, content: str, delay: float = 0.0):
        self.content, self.delay = content, delay

    def respond(self, request: Request) -> Response:
        return Response(200, json.dumps(completion(self.content)).encode())


class Status(Behaviour):
    """An HTTP error status with an OpenAI-style error body."""

    def __init__(self, status: int, message: str = "internal error"):
        self.status, self.message = status, message

    def respond(self, request: Request) -> Response:
        return Response(self.status, json.dumps({"error": {"message": self.message}}).encode())


class Raw(Behaviour):
    """Status 200 with an arbitrary body (invalid JSON, JSON without the expected fields...)."""

    def __init__(self, body: bytes | str | dict | list, content_type: str = "application/json"):
        self.body = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.content_type = content_type

    def respond(self, request: Request) -> Response:
        return Response(200, self.body, self.content_type)


def event(content: str | None = None, finish: str | None = None) -> bytes:
    """One server-sent event of an OpenAI chat completion stream."""
    delta = {} if content is None else {"content": content}
    chunk = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": "test-model",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


class Stream(Behaviour):
    """A reply streamed as server-sent events, one per piece, `gap` seconds apart; `done` sends the
    final event and [DONE]; `extra` is raw bytes sent after the pieces (a malformed event, say)."""

    def __init__(self, pieces: list[str], gap: float = 0.0, done: bool = True, extra: bytes = b""):
        self.pieces, self.gap, self.done, self.extra = pieces, gap, done, extra

    def respond(self, request: Request) -> Response:
        parts = [(self.gap, event(p)) for p in self.pieces]
        if self.extra:
            parts.append((0.0, self.extra))
        if self.done:
            parts.append((0.0, event(finish="stop") + b"data: [DONE]\n\n"))
        return Response(200, b": stream begins\n\n", "text/event-stream", tuple(parts))


class ChatServer:
    def __init__(self, behaviour: Behaviour):
        self.behaviour = behaviour
        self.requests: list[Request] = []
        self._release = threading.Event()  # cuts delays short when the server closes
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                server.requests.append(request)
                if self.path != PATH:
                    response = Response(404, b'{"error": {"message": "not found"}}')
                else:
                    if server.behaviour.delay:
                        server._release.wait(server.behaviour.delay)
                    response = server.behaviour.respond(request)
                try:
                    self.send_response(response.status)
                    self.send_header("Content-Type", response.content_type)
                    if not response.parts:
                        self.send_header("Content-Length", str(len(response.body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(response.body)
                    for wait, data in response.parts:  # a stream: the body ends when the connection closes
                        self.wfile.flush()
                        if wait:
                            server._release.wait(wait)
                        self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout tests)
                self.close_connection = True

            def log_message(self, format, *args) -> None:  # noqa: A002 - keep test output quiet
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "ChatServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=2)
