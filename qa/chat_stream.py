"""A streamed chat completion read as it is written: the server-sent events of a reply.

`events` yields the pieces of choices[0].delta.content as the events arrive (OpenAI's format:
`data: {json}` lines, blank lines between events, `: comments`, and `data: [DONE]` at the end);
`qa.chat_client.ChatClient.stream` reads a reply with it. Every failure during the stream is an
`LLMError` with a short reason; the pieces yielded before it stand.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from qa.chat_client import MAX_REPLY_BYTES, LLMError, _timeout_reason, one_line

EVENT_STREAM = "text/event-stream"
STOPPED_EARLY = "the server closed the stream early"
MAX_LINE_BYTES = 1_000_000


def events(response, deadline: float, timeout: float) -> Iterator[str]:
    """The content pieces of an event stream; LLMError for a malformed event, an error event,
    a stream that ends before its last event, an empty reply, or one too large or too slow."""
    size, data, text, finished = 0, [], False, False
    while True:
        if time.monotonic() > deadline:
            raise LLMError(_timeout_reason(timeout))
        try:
            raw = response.readline(MAX_LINE_BYTES)
        except TimeoutError:
            if not finished:
                raise
            raw = b""  # the reply is whole; the server just did not say [DONE] or close
        size += len(raw)
        if size > MAX_REPLY_BYTES:
            raise LLMError(f"reply larger than {MAX_REPLY_BYTES // 1_000_000} MB")
        if raw and not raw.endswith(b"\n") and len(raw) >= MAX_LINE_BYTES:
            raise LLMError("a stream event was too long")
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise LLMError("a stream event was not valid UTF-8") from None
        if raw and line:
            field, _, value = line.partition(":")
            if field == "data":
                data.append(value[1:] if value.startswith(" ") else value)
            continue  # comments (": keep-alive"), event:, id: and retry: lines say nothing here
        if data:  # a blank line (or the end) dispatches the event
            event, data = "\n".join(data), []
            if event.strip() == "[DONE]":
                break
            piece, done = _event(event)
            finished = finished or done
            if piece:
                text = text or bool(piece.strip())
                yield piece
        if not raw:
            if not finished:
                raise LLMError(STOPPED_EARLY)
            break
    if not text:
        raise LLMError("reply was empty")


def _event(event: str) -> tuple[str, bool]:
    """(content piece, whether the choice finished) of one event's data."""
    import json

    try:
        data = json.loads(event)
    except ValueError:
        raise LLMError("a stream event was not valid JSON") from None
    if isinstance(data, dict) and data.get("error"):
        error = data["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise LLMError(f"the server reported an error: {one_line(message)[:160]}" if isinstance(message, str)
                       else "the server reported an error")
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        raise LLMError("a stream event had no choices")
    if not choices:  # e.g. a last chunk with usage only
        return "", False
    choice = choices[0] if isinstance(choices[0], dict) else {}
    delta = choice.get("delta") or choice.get("message") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return (content if isinstance(content, str) else ""), bool(choice.get("finish_reason"))
