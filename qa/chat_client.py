"""The chat completions client for optional LLM answers: its configuration and transport.

Any OpenAI-compatible endpoint (llama.cpp server, Ollama, vLLM, OpenAI) is configured from
`QA_LLM_BASE_URL`, `QA_LLM_MODEL`, optional `QA_LLM_API_KEY` and `QA_LLM_TIMEOUT`. Requests use
only the standard library; every remote failure becomes an `LLMError` with a short reason.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ENV_PREFIX = "QA_LLM_"
ENV_BASE_URL = ENV_PREFIX + "BASE_URL"
ENV_MODEL = ENV_PREFIX + "MODEL"
ENV_API_KEY = ENV_PREFIX + "API_KEY"
ENV_TIMEOUT = ENV_PREFIX + "TIMEOUT"
DEFAULT_TIMEOUT = 30.0
MAX_REPLY_BYTES = 2_000_000
TEMPERATURE = 0


# --------------------------------------------------------------------------- configuration


class LLMConfigError(ValueError):
    """An invalid LLM setting; the message names the rule (and the variable, from the environment)."""


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to ask for answers; validated on construction (LLMConfigError)."""

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        problems = _problems(self.base_url, self.model, self.api_key, self.timeout)
        if problems:
            raise LLMConfigError(problems[0][1])

    @property
    def endpoint(self) -> str:
        """The chat completions URL: base_url + /chat/completions unless it already ends so."""
        url = self.base_url.rstrip("/")
        return url if url.endswith("/chat/completions") else url + "/chat/completions"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "LLMConfig | None":
        """The configuration from the environment, or None unless base URL and model are set.

        Raises LLMConfigError naming the variable when a value is invalid.
        """
        env = os.environ if environ is None else environ
        base_url = env.get(ENV_BASE_URL, "").strip()
        model = env.get(ENV_MODEL, "").strip()
        if not base_url or not model:
            return None
        api_key = env.get(ENV_API_KEY, "").strip()
        raw_timeout = env.get(ENV_TIMEOUT, "").strip()
        timeout = DEFAULT_TIMEOUT
        if raw_timeout:
            try:
                timeout = float(raw_timeout)
            except ValueError:
                raise LLMConfigError(f"{ENV_TIMEOUT}: timeout must be a number of seconds, got {raw_timeout!r}") from None
        names = {"base_url": ENV_BASE_URL, "model": ENV_MODEL, "api_key": ENV_API_KEY, "timeout": ENV_TIMEOUT}
        problems = _problems(base_url, model, api_key, timeout)
        if problems:
            name, message = problems[0]
            raise LLMConfigError(f"{names[name]}: {message}")
        return cls(base_url, model, api_key, timeout)


def _problems(base_url, model, api_key, timeout) -> list[tuple[str, str]]:
    """(field, message) for every broken rule of a configuration, in field order."""
    out = []
    if not isinstance(base_url, str) or not base_url.lower().startswith(("http://", "https://")):
        out.append(("base_url", f"base_url must start with http:// or https://, got {base_url!r}"))
    elif not urlsplit(base_url).hostname:
        out.append(("base_url", f"base_url must name a host, got {base_url!r}"))
    if not isinstance(model, str) or not model.strip():
        out.append(("model", "model must be a non-empty model name"))
    if not isinstance(api_key, str):
        out.append(("api_key", "api_key must be a string"))
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (math.isfinite(timeout) and timeout > 0):
        out.append(("timeout", f"timeout must be a number of seconds greater than 0, got {timeout!r}"))
    return out


# --------------------------------------------------------------------------- transport


class LLMError(Exception):
    """A remote failure; the message is a short reason for the user's notice."""


class ChatClient:
    """A minimal OpenAI-compatible chat completions client on urllib (no extra dependency).

    `stream` asks with `"stream": true` and yields the reply's pieces as the server-sent events
    arrive (`qa.chat_stream`); a server that ignores `stream` and answers with one JSON body gives
    its whole message as one piece. The connection and every read wait at most the configured
    timeout, and the whole reply must arrive within it too."""

    def __init__(self, config: LLMConfig):
        self.config = config

    def payload(self, messages: list[dict[str, str]]) -> dict:
        return {"model": self.config.model, "messages": messages, "temperature": TEMPERATURE, "stream": True}

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """The reply's text in pieces as they arrive; raises LLMError on any failure (the pieces
        yielded before it stand)."""
        import http.client
        import json
        import urllib.error
        import urllib.request

        from qa.chat_stream import EVENT_STREAM, STOPPED_EARLY, events

        headers = {"Content-Type": "application/json", "Accept": f"{EVENT_STREAM}, application/json",
                   "User-Agent": "mining-governance-qa"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        request = urllib.request.Request(
            self.config.endpoint, data=json.dumps(self.payload(messages)).encode("utf-8"), headers=headers, method="POST"
        )
        timeout = self.config.timeout
        deadline = time.monotonic() + timeout
        received = False
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if kind != EVENT_STREAM:  # a server that ignores "stream": one JSON body
                    yield _content(_read(response, deadline, timeout))
                    return
                for piece in events(response, deadline, timeout):
                    received = True
                    yield piece
        except urllib.error.HTTPError as exc:
            raise LLMError(f"HTTP {exc.code}{_error_detail(exc)}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise LLMError(_timeout_reason(timeout)) from None
            raise LLMError(f"connection failed: {one_line(str(exc.reason))}") from None
        except TimeoutError:
            raise LLMError(_timeout_reason(timeout)) from None
        except http.client.IncompleteRead:  # a chunked body cut off
            raise LLMError(STOPPED_EARLY) from None
        except (http.client.HTTPException, OSError, ValueError) as exc:
            if received and isinstance(exc, (ConnectionError, http.client.HTTPException)):
                raise LLMError(STOPPED_EARLY) from None
            raise LLMError(f"connection failed: {one_line(str(exc) or type(exc).__name__)}") from None


def _read(response, deadline: float, timeout: float) -> bytes:
    """The whole body, failing past the overall deadline or above MAX_REPLY_BYTES."""
    read = getattr(response, "read1", response.read)
    parts, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise LLMError(_timeout_reason(timeout))
        part = read(65536)
        if not part:
            return b"".join(parts)
        size += len(part)
        if size > MAX_REPLY_BYTES:
            raise LLMError(f"reply larger than {MAX_REPLY_BYTES // 1_000_000} MB")
        parts.append(part)


def _content(body: bytes) -> str:
    import json

    try:
        data = json.loads(body)
    except ValueError:
        raise LLMError("reply was not valid JSON") from None
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMError("reply had no choices[0].message.content") from None
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    if not isinstance(content, str):
        raise LLMError("reply had no choices[0].message.content") from None
    if not content.strip():
        raise LLMError("reply was empty")
    return content


def _error_detail(exc) -> str:
    """': message' from an error body like {"error": {"message": ...}}, else ''."""
    import json

    try:
        body = exc.read(4096)
        data = json.loads(body)
    except Exception:  # noqa: BLE001 - the status code alone is enough
        return ""
    error = data.get("error", data.get("detail")) if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return f": {one_line(error)[:160]}" if isinstance(error, str) and error.strip() else ""


def _timeout_reason(timeout: float) -> str:
    return f"timeout after {timeout:g} s"


def one_line(text: str) -> str:
    """Text on one line, runs of white space made single spaces."""
    return " ".join(str(text).split())
