"""The `qa` command: build and inspect the index, ask questions, serve the UI, run the eval.

Only this module and the UI turn domain errors into messages and exit codes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
from pathlib import Path

DEFAULT_INDEX = Path(os.environ.get("QA_INDEX", "data/index"))
DEFAULT_CORPUS = Path(os.environ.get("QA_CORPUS", str(Path(__file__).resolve().parent.parent / "corpus" / "documents")))
EXIT_USER_ERROR = 2
EXIT_GATE_FAILED = 3
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE  # what a reader closing the pipe (`qa ask ... | head`) gives a shell
LLM_OFF_WARNING = "warning: {problem}; LLM answers are off (fix or unset the setting)"
LLM_SETTING_ERROR = "{problem}; fix or unset the setting to use --llm"
# Terminal control characters (C0 but tab and newline, DEL, C1, bidirectional overrides) in text
# from documents, file names or settings are printed as visible escapes such as \x1b.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes only C0


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path.home() / ".cache" / "qa-tiktoken"))
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        code = args.run(args) or 0
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # domain errors become one line; real bugs keep their traceback
        message = _user_message(exc)
        if message is None:
            raise
        print(f"error: {one_line(message)}", file=sys.stderr)
        return EXIT_USER_ERROR


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that nothing more is written to the closed pipe
    (the standard way: https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no file descriptor (output captured in-process)
        pass


def one_line(text: str) -> str:
    """A message on one line: control characters and line breaks shown as escapes (\\n, \\x1b)."""
    return _CONTROL_OR_BREAK.sub(_escape, str(text))


def terminal_text(text: str) -> str:
    """Text from documents for a terminal: control characters but newline and tab shown as escapes."""
    return _CONTROL.sub(_escape, text)


def json_line(data) -> str:
    """One JSON line with non-ASCII text kept but C1 and bidirectional controls escaped."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def _escape(match: re.Match) -> str:
    c = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def _user_message(exc: Exception) -> str | None:
    from corpus.errors import CorpusError
    from eval.gold import EvalError
    from index.errors import IndexError_
    from qa.chat_client import LLMConfigError
    from qa.question import InvalidQuestion
    from qa.retrieval import UnknownDocument

    if isinstance(exc, (UserError, CorpusError, EvalError, IndexError_, InvalidQuestion, UnknownDocument, LLMConfigError)):
        return str(exc)
    if isinstance(exc, (PermissionError, IsADirectoryError, NotADirectoryError)):  # a path the user can fix
        return f"cannot open {exc.filename}: {exc.strerror}" if exc.filename else str(exc)
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Cited question answering over mining-governance documents.")
    sub = parser.add_subparsers(title="commands")

    index = sub.add_parser("index", help="build or inspect the search index").add_subparsers(title="index commands")
    build = index.add_parser("build", help="build or update the index from the corpus folder")
    _add_index(build)
    build.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder (default: %(default)s)")
    build.add_argument("--force", action="store_true", help="re-embed every document")
    build.add_argument("--json", action="store_true", help="print one JSON object at the end")
    build.set_defaults(run=cmd_build)
    status = index.add_parser("status", help="describe the index and what changed in the corpus since")
    _add_index(status)
    status.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: the one the index was built from)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=cmd_status)

    corpus = sub.add_parser("corpus", help="see how the corpus files are read").add_subparsers(title="corpus commands")
    check = corpus.add_parser("check", help="read every file as a build would and report how each was read")
    check.add_argument("folder", nargs="?", type=Path, default=DEFAULT_CORPUS, help="corpus folder (default: %(default)s)")
    check.add_argument("--json", action="store_true", help="print one JSON object per file")
    check.set_defaults(run=cmd_check)

    ask = sub.add_parser("ask", help="answer a question (or one per line from standard input) with citations")
    ask.add_argument("question", nargs="?", help="the question; omit to read one per line from stdin")
    _add_index(ask)
    ask.add_argument("--k", type=_positive, default=5, help="passages to retrieve (default: 5)")
    ask.add_argument("--mode", choices=("dense", "lexical", "hybrid"), default="hybrid")
    ask.add_argument("--doc", action="append", default=[], metavar="ID", help="restrict to a document (repeatable)")
    ask.add_argument("--llm", action="store_true", help="let the configured LLM write the answer (QA_LLM_BASE_URL, QA_LLM_MODEL)")
    ask.add_argument("--json", action="store_true", help="print JSON (one object per question)")
    ask.set_defaults(run=cmd_ask)

    serve = sub.add_parser("serve", help="start the web UI")
    _add_index(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--auth", default=os.environ.get("QA_AUTH") or None, help="user:password required to use the UI and API (or QA_AUTH)")
    serve.add_argument("--data", type=Path, default=Path("data"), help="folder for feedback records (default: %(default)s)")
    serve.add_argument("--corpus", type=Path, default=None, help="folder that documents added in the browser go to (default: the one the index was built from)")
    serve.add_argument("--read-only", action="store_true", help="no adding or removing documents from the browser")
    serve.set_defaults(run=cmd_serve)

    ev = sub.add_parser("eval", help="run the gold questions (or `qa eval beir DIR`) and report metrics")
    ev.add_argument("target", nargs="*", help="`beir DIR` to benchmark a BEIR dataset")
    _add_index(ev)
    ev.add_argument("--gold", type=Path, default=None, help="gold questions (JSON Lines; default: eval/gold.jsonl)")
    ev.add_argument("--corpus", type=Path, default=None, metavar="DIR",
                    help="evaluate on an index of the documents in DIR (built or updated under --cache) instead of "
                         "--index; every file of DIR is indexed, so pass a folder of documents only")
    ev.add_argument("--split", choices=("all", "dev", "test"), default="all",
                    help="run the gold questions of one split only (default: all, reported per split)")
    ev.add_argument("--k", type=_positive, default=5)
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--min", action="append", default=[], metavar="METRIC=VALUE",
                    help="fail (exit 3) when a metric is below VALUE, or above it for lower-is-better metrics "
                         "(false_abstention, latency_ms.p50/p95), in either split of the gold set; "
                         "dev.METRIC=VALUE or test.METRIC=VALUE gates one split; repeatable; "
                         "e.g. hit@5=0.9, dense.ndcg@10=0.6, test.fact_recall=0.8")
    ev.add_argument("--reports", type=Path, default=Path("reports"), help="folder for the report files (default: %(default)s)")
    ev.add_argument("--cache", type=Path, default=None,
                    help="where indexes are cached (default: data/beir for `beir DIR`, data/eval-index for --corpus)")
    ev.set_defaults(run=cmd_eval)
    return parser


def _add_index(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: %(default)s)")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return number


def cmd_build(args) -> int:
    from index.build import DAMAGE_NOTE, build_index
    from index.embedder import default_encoder
    from index.manifest import IndexConfig

    encoder = default_encoder()  # QA_ENCODER picks torch or onnx-int8
    report = build_index(args.corpus, args.index, encoder, IndexConfig(model=encoder.info), force=args.force,
                         progress=not args.json and sys.stderr.isatty())
    for skipped in report.skipped:
        print(f"warning: skipped {one_line(skipped.path)}: {one_line(skipped.reason)}", file=sys.stderr)
    for note in report.notes:
        print(f"{'warning' if note.startswith(DAMAGE_NOTE) else 'note'}: {one_line(note)}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        state = "index written" if report.written else "index unchanged"
        print(f"{state} at {args.index}: {report.documents} documents, {report.chunks} chunks "
              f"({report.embedded} embedded, {report.reused} reused, {report.removed} removed, "
              f"{len(report.skipped)} files skipped) in {report.seconds:.1f} s")
    return 0


def cmd_status(args) -> int:
    from index.build import index_status

    status = index_status(args.index, args.corpus, verify=True)  # damage is an error naming the file
    data = status.to_json()
    if args.json:
        print(json.dumps(data))
        return 0
    print(f"index:     {args.index}")
    print(f"documents: {data['documents']}   chunks: {data['chunks']}")
    print(f"model:     {data['model']} ({data['dim']}d, {data['encoder']} {data['precision']})   format: {data['format_version']}")
    print(f"built at:  {data['built_at']}")
    print(f"verified:  {status.verification.describe()}")
    if data["stale"]:
        print("changed since the build (run `qa index build`):")
        for path in data["stale"]:
            print(f"  {one_line(path)}")
    else:
        print("corpus:    up to date")
    return 0


def cmd_check(args) -> int:
    from corpus.check import check_corpus, format_check
    from corpus.loader import METADATA_FILE

    checks = check_corpus(args.folder)
    for check in checks:
        if args.json:
            print(json.dumps(check.to_json(), ensure_ascii=False))
        else:
            print("\n".join(_printable(line) for line in format_check(check)))
    if not args.json:
        files = [c for c in checks if c.path != METADATA_FILE]
        read = sum(1 for c in files if c.titles)
        warned = sum(1 for c in files if c.warnings)
        print(f"{read} of {len(files)} files read, {len(files) - read} skipped, {warned} with warnings")
    return 0


def _printable(text: str) -> str:
    """Text from documents with terminal control characters shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def cmd_ask(args) -> int:
    from qa.render import render_answer

    if args.question is not None and not args.question.strip():
        raise UserError("the question is empty; type a question about the documents")
    assistant = _open_assistant(args.index, llm_required=args.llm)
    answer_mode = "llm" if args.llm else "extractive"
    if args.question is not None:
        told: list[str] = []  # an LLM answer's verified sentences, shown as they arrive
        streamed = answer_mode == "llm" and not args.json

        def show(sentence: str) -> None:
            print((" " if told else "") + terminal_text(sentence), end="", flush=True)
            told.append(sentence)

        answer = assistant.ask(
            args.question, k=args.k, mode=args.mode, doc_ids=tuple(args.doc), answer_mode=answer_mode,
            on_sentence=show if streamed else None,
        )
        if args.json:
            print(json_line(answer.to_json()))
        elif told:  # the text is on the screen (it is the sentences told, joined): its note and sources follow
            print()
            print(terminal_text(render_answer(answer, text=False)))
        else:
            print(terminal_text(render_answer(answer)))
        return 0
    failures = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = assistant.ask(line, k=args.k, mode=args.mode, doc_ids=tuple(args.doc), answer_mode=answer_mode)
            out = answer.to_json() if args.json else terminal_text(render_answer(answer))
        except Exception as exc:
            message = _user_message(exc)
            if message is None:
                raise
            failures += 1
            out = {"question": line.strip()[:200], "error": message} if args.json else f"error: {one_line(message)}"
        print(json_line(out) if args.json else out + "\n", flush=True)
    return EXIT_USER_ERROR if failures else 0


def _open_assistant(index: Path, llm_required: bool):
    """The assistant on the index folder; a bad QA_LLM_* setting is an error when LLM answers
    are asked for, else a warning and LLM answers are off."""
    from qa.assistant import Assistant

    _check_index_folder(index)
    with _llm_settings_checked(llm_required):
        return Assistant.open(index)


def _check_index_folder(index: Path) -> None:
    """UserError for an --index that cannot be an index folder (a file, an unreadable folder);
    a missing one is left to the index, which says how to build it."""
    if index.exists() and not index.is_dir():
        raise UserError(f"--index {one_line(index)} is a file, not a folder; pass the folder `qa index build` wrote")
    if index.is_dir() and not os.access(index, os.R_OK | os.X_OK):
        raise UserError(f"--index {one_line(index)} cannot be read (permission denied)")


@contextlib.contextmanager
def _llm_settings_checked(required: bool):
    """Check the QA_LLM_* settings; when they are invalid and not `required`, warn and hide them
    while the body runs (`Assistant.open` reads them), so that LLM answers are off."""
    from qa.chat_client import ENV_PREFIX, LLMConfig, LLMConfigError

    try:
        LLMConfig.from_env()
    except LLMConfigError as exc:
        if required:
            raise UserError(LLM_SETTING_ERROR.format(problem=exc)) from None
        print(one_line(LLM_OFF_WARNING.format(problem=exc)), file=sys.stderr)
    else:
        yield
        return
    hidden = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
    for name in hidden:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(hidden)


def cmd_serve(args) -> int:
    from qa.server import serve

    _check_index_folder(args.index)
    with _llm_settings_checked(required=False):
        serve(index_dir=args.index, host=args.host, port=args.port, auth=args.auth, data_dir=args.data,
              corpus_dir=args.corpus, read_only=args.read_only)
    return 0


def cmd_eval(args) -> int:
    from eval.runner import run_cli

    with _llm_settings_checked(required=False):  # the evaluation answers extractively
        return run_cli(args)


if __name__ == "__main__":
    sys.exit(main())
