"""The labelled claims of eval/support_claims.jsonl and how `qa.support` does on them.

Each line is one claim an LLM might write about two passages, chunks of a seed document
(corpus/documents/) as the index makes them, each named by `doc` (its file) and `anchor` (text
of the chunk, up to white space and typography):

    {"id": "w01-paraphrase-1", "split": "dev", "kind": "paraphrase", "claim": "...",
     "cites": [1], "expect": 1, "passages": [{"doc": "...txt", "anchor": "..."}, {...}]}

`kind` is a true `paraphrase` of a sentence of passage `expect`, or one of four false claims:
a `negation` of it, an `entity` swapped for another (a country, organisation or person), an
invented clause `appended` to a true sentence, or a true sentence citing the wrong passage
(`wrong_passage`; `expect` names the passage that supports it). A claim is handled correctly
when the passages `qa.support` finds supporting it are exactly [expect] (none when `expect` is
null). Claims of one source sentence share its split; tune on `dev`, report `test`.

    python -m eval.support_claims     # the figures of the settings in qa/support.json
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from eval.gold import SPLITS, EvalError, locate

DEFAULT_CLAIMS = Path(__file__).resolve().parent / "support_claims.jsonl"
SEED_DOCUMENTS = Path(__file__).resolve().parent.parent / "corpus" / "documents"
PARAPHRASE = "paraphrase"
FALSE_KINDS = ("negation", "entity", "appended", "wrong_passage")
KINDS = (PARAPHRASE, *FALSE_KINDS)


@dataclass(frozen=True)
class PassageRef:
    doc: str
    anchor: str


@dataclass(frozen=True)
class LabelledClaim:
    id: str
    split: str
    kind: str
    claim: str
    cites: tuple[int, ...]
    expect: int | None
    passages: tuple[PassageRef, ...]


def load_claims(path: Path = DEFAULT_CLAIMS) -> list[LabelledClaim]:
    claims = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            claim = LabelledClaim(
                r["id"], r["split"], r["kind"], r["claim"], tuple(r["cites"]), r["expect"],
                tuple(PassageRef(p["doc"], p["anchor"]) for p in r["passages"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalError(f"{path}:{number}: not a labelled claim ({type(exc).__name__}: {exc})") from None
        if claim.split not in SPLITS or claim.kind not in KINDS:
            raise EvalError(f"{path}:{number}: split must be one of {SPLITS} and kind one of {KINDS}")
        if (claim.expect is None) != (claim.kind in ("negation", "entity", "appended")):
            raise EvalError(f"{path}:{number}: only a paraphrase or a wrong_passage claim names the passage it expects")
        claims.append(claim)
    return claims


@lru_cache(maxsize=None)
def _chunks(doc: str) -> tuple:
    from corpus.chunking import chunk_document
    from corpus.loader import read_file

    report = read_file(SEED_DOCUMENTS / doc, doc, {})
    if len(report.documents) != 1:
        raise EvalError(f"{doc}: expected one seed document, got {len(report.documents)}")
    return tuple(chunk_document(report.documents[0]))


@lru_cache(maxsize=None)
def passage(ref: PassageRef):
    """The chunk of the seed document `ref.doc` whose text holds `ref.anchor`."""
    found = [c for c in _chunks(ref.doc) if locate(ref.anchor, c.text)]
    if not found:
        raise EvalError(f"{ref.doc}: no chunk holds {ref.anchor!r}")
    return found[0]


@lru_cache(maxsize=None)
def _windows(refs: tuple[PassageRef, ...], min_terms: int) -> tuple[list, frozenset[str]]:
    from corpus.sentences import split_sentences
    from qa import support

    candidates, texts = [], []
    chunks = [passage(ref) for ref in refs]
    if len({c.chunk_id for c in chunks}) != len(chunks):
        raise EvalError(f"the passages {refs} are not different chunks")
    for n, chunk in enumerate(chunks, start=1):
        spans = split_sentences(chunk.text, offset=chunk.start)
        candidates += support.windows(n, chunk.text, spans, chunk.start, support.Settings(1.0, min_terms, 0))
        texts.append(chunk.text)
    return candidates, support.lowercase_words(texts)


@lru_cache(maxsize=None)
def _matches(claim: LabelledClaim, min_terms: int) -> list:
    """How each window of the claim's passages holds it (clauses of at least `min_terms` terms)."""
    from qa import support

    candidates, lowercase = _windows(claim.passages, min_terms)
    features = support.claim(claim.claim, lowercase, support.Settings(1.0, min_terms, 0))
    return [(w, support.match(features, w)) for w in candidates]


def outcome(claim: LabelledClaim, config) -> tuple[int, ...]:
    """The passages `qa.support` finds supporting the claim, with settings `config`."""
    from qa import support

    return tuple(s.passage for s in support.choose(_matches(claim, config.clause_min_terms), claim.cites, config))


def correct(claim: LabelledClaim, config) -> bool:
    return outcome(claim, config) == ((claim.expect,) if claim.expect else ())


def figures(claims: list[LabelledClaim], config) -> dict:
    """Per split: how many true paraphrases pass, how many false claims are rejected, per kind."""
    out = {}
    for split in SPLITS:
        rows = [c for c in claims if c.split == split]
        kinds = {kind: _rate([correct(c, config) for c in rows if c.kind == kind]) for kind in KINDS}
        out[split] = {
            PARAPHRASE: kinds[PARAPHRASE],
            "false": _rate([correct(c, config) for c in rows if c.kind in FALSE_KINDS]),
            "kinds": kinds,
        }
    return out


def _rate(results: list[bool]) -> dict:
    return {"correct": sum(results), "total": len(results), "rate": round(sum(results) / len(results), 4) if results else 0.0}


def format_figures(data: dict) -> str:
    lines = []
    for split, f in data.items():
        p, n = f[PARAPHRASE], f["false"]
        kinds = ", ".join(f"{k} {v['correct']}/{v['total']}" for k, v in f["kinds"].items() if k != PARAPHRASE)
        lines.append(f"{split}: paraphrases passing {p['correct']}/{p['total']} ({p['rate']:.0%}); "
                     f"false claims rejected {n['correct']}/{n['total']} ({n['rate']:.0%}): {kinds}")
    return "\n".join(lines)


def main() -> int:
    from qa.support import settings

    claims = load_claims()
    config = settings()
    print(format_figures(figures(claims, config)))
    for c in claims:
        if not correct(c, config):
            print(f"  wrong: {c.id} ({c.split}) -> {outcome(c, config)}: {c.claim}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
