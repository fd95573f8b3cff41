"""How each file of a corpus folder is read, before anything is indexed (`qa corpus check`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from corpus.loader import FileReport, load_corpus
from corpus.raw import BLOCK_KINDS

NEARLY_EMPTY_CHARS = 200  # a document with less text than this is reported as nearly empty


@dataclass(frozen=True)
class FileCheck:
    """One file as read: its documents' titles, pages, sections, blocks by kind, what was removed."""

    path: str
    titles: tuple[str, ...]
    pages: int
    sections: int
    characters: int
    blocks: dict[str, int]
    removed: dict[str, int]
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    headings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        return {
            "path": self.path, "titles": list(self.titles), "pages": self.pages, "sections": self.sections,
            "characters": self.characters, "blocks": self.blocks, "removed": self.removed,
            "warnings": list(self.warnings), "skipped": list(self.skipped), "headings": list(self.headings),
        }


def check_corpus(corpus_dir: Path) -> list[FileCheck]:
    """Read every file of the folder as a build would, and describe how each was read."""
    loaded = load_corpus(corpus_dir)
    checks = [_check(report) for report in loaded.reports]
    paths = {c.path for c in checks}
    others = [s for s in loaded.skipped if s.path.split(":")[0] not in paths]  # the metadata sidecar's problems
    return [FileCheck(s.path, (), 0, 0, 0, {}, {}, skipped=(s.reason,)) for s in others] + checks


def _check(report: FileReport) -> FileCheck:
    blocks: Counter[str] = Counter()
    for doc in report.documents:
        blocks.update(b.kind for b in doc.blocks)
    characters = sum(len(d.text) for d in report.documents)
    warnings = list(report.warnings)
    if report.documents and characters < NEARLY_EMPTY_CHARS:
        warnings.append(f"nearly empty: {characters} characters of text")
    return FileCheck(
        path=report.path,
        titles=tuple(d.title for d in report.documents),
        pages=report.page_count,
        sections=sum(len(d.sections) for d in report.documents),
        characters=characters,
        blocks={kind: blocks[kind] for kind in BLOCK_KINDS if blocks[kind]},
        removed=dict(sorted(report.removed.items())),
        warnings=tuple(warnings),
        skipped=report.skipped,
        headings=tuple(s.title for d in report.documents[:1] for s in d.sections),
    )


def format_check(check: FileCheck, headings: int = 6) -> list[str]:
    """A few lines a person reads: title, counts, what was removed, warnings."""
    if check.skipped and not check.titles:
        return [f"{check.path}: SKIPPED: {'; '.join(check.skipped)}"]
    title = check.titles[0] if len(check.titles) == 1 else f"{len(check.titles)} documents"
    pages = f"{check.pages} pages, " if check.pages else ""
    kinds = ", ".join(f"{n} {kind.replace('_', ' ')}{'' if n == 1 else 's'}" for kind, n in check.blocks.items())
    lines = [f"{check.path}: {title!r}", f"  {pages}{check.characters:,} characters, {check.sections} sections; blocks: {kinds}"]
    if check.headings:
        shown = "; ".join(check.headings[:headings]) + (" …" if len(check.headings) > headings else "")
        lines.append(f"  headings: {shown}")
    if check.removed:
        lines.append("  removed: " + ", ".join(f"{what} ×{n}" for what, n in check.removed.items()))
    lines += [f"  warning: {w}" for w in check.warnings]
    lines += [f"  skipped: {s}" for s in check.skipped]
    return lines
