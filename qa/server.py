"""Serving the UI (`qa serve`): the options checked, the sign-in, the server's guard, the key
for conversations kept in browsers, and the launch with the app's look."""

import ipaddress
import os
import secrets
import sys
from pathlib import Path

from qa.ui import TITLE, build_app  # first: qa.ui sets Gradio's environment before Gradio loads

import gradio as gr  # noqa: E402

from qa.guard import ServerGuard  # noqa: E402
from qa.library import ALLOWED_SUFFIXES, MAX_UPLOAD_BYTES, serving_library  # noqa: E402
from qa.login import LoginGuard  # noqa: E402
from qa.ui_assets import CSS  # noqa: E402

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def theme() -> gr.themes.Base:
    # System fonts only: the default theme would fetch web fonts, and the app runs offline.
    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate",
                          font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
                          font_mono=["ui-monospace", "Consolas", "monospace"]).set(
        # AA contrast (4.5:1): Soft's teal-500 labels and drop-zone text on teal-100 or white measure
        # 2.2-2.5:1, its dark labels white on teal-600 3.7:1, a hovered dark button and a chosen option white on
        # teal-500 2.5:1
        block_label_text_color="*primary_800", block_title_text_color="*primary_800",
        block_label_background_fill_dark="*primary_800", block_title_background_fill_dark="*primary_800",
        button_secondary_background_fill_hover_dark="*primary_700",
        checkbox_label_background_fill_selected="*primary_700", checkbox_label_background_fill_selected_dark="*primary_800")


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """`user:password` as gradio's auth list; None when no auth is asked for."""
    from qa.cli import UserError

    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise UserError("--auth / QA_AUTH must look like user:password (both parts non-empty)")
    return [(user.strip(), password)]


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, auth) -> str | None:
    if auth or is_loopback(host):
        return None
    return (f"warning: serving on {host} without --auth; anyone who can reach this machine can use the UI "
            "and API (set QA_AUTH=user:password or pass --auth)")


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth=None, **kwargs):
    """Start `demo` with the app's look; kwargs go to `Blocks.launch` (e.g. prevent_thread_lock).
    `auth` (user, password pairs) is checked with a back-off after failed attempts; uploads
    above `MAX_UPLOAD_BYTES` are refused by the upload route itself, files of other types than
    the library takes by `ServerGuard`, which also keeps signed-out visitors to the sign-in page."""
    from starlette.middleware import Middleware

    guard = Middleware(ServerGuard, auth=bool(auth), suffixes=ALLOWED_SUFFIXES, max_bytes=MAX_UPLOAD_BYTES)
    options = dict(app_kwargs={"middleware": [guard]}, server_name=host, server_port=port, auth=LoginGuard(auth) if auth else None, share=False,
                   inbrowser=False, quiet=True, show_error=True, ssr_mode=False, theme=theme(), css=CSS,
                   footer_links=["api", "settings"], run_history=False, max_file_size=MAX_UPLOAD_BYTES,
                   auth_message=f"Sign in to {TITLE}" if auth else None)
    options.update(kwargs)
    return demo.launch(**options)


def browser_secret(data_dir: Path) -> str:
    """The key that encrypts conversations kept in browsers, made once per data folder, so a
    conversation survives a reload and a server restart."""
    path = Path(data_dir) / "browser-state.key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key + "\n")
        return key


def serve(index_dir: Path, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
          data_dir: Path = Path("data"), corpus_dir: Path | None = None, read_only: bool = False) -> None:
    """`qa serve`: check the options, load the assistant once, serve until interrupted;
    `corpus_dir` (default: the folder the index was built from) receives uploads."""
    from index.store import read_manifest
    from qa.assistant import Assistant
    from qa.cli import UserError

    credentials = parse_auth(auth)
    warning = exposure_warning(host, credentials)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    manifest = read_manifest(Path(index_dir))  # a missing index fails here, before the model loads
    assistant = Assistant.open(Path(index_dir))  # domain errors reach the CLI as one line
    library = serving_library(assistant, Path(corpus_dir or manifest.corpus), Path(index_dir), read_only=read_only)
    demo = build_app(library, Path(data_dir), browser_secret(Path(data_dir)))
    try:
        launch(demo, host, port, auth=credentials, prevent_thread_lock=True)
    except OSError as exc:
        raise UserError(f"cannot serve on {host}:{port} ({exc}); choose another --port or --host") from None
    url = f"http://{'[' + host + ']' if ':' in host else host}:{demo.server_port}/"
    print(f"Serving {TITLE} at {url} (Ctrl+C to stop)", flush=True)
    demo.block_thread()
