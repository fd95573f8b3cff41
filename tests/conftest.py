"""Shared fixtures: a fake encoder for unit tests, the real model and seed index once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus" / "documents"
GOLD = ROOT / "eval" / "gold.jsonl"

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _tiktoken_cache(tmp_path_factory):
    os.environ["TIKTOKEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("tiktoken"))


@pytest.fixture
def fake_encoder():
    from tests.fakes import FakeEncoder

    return FakeEncoder()


@pytest.fixture(scope="session")
def real_encoder():
    """The real model in float32 on every CPU: what the tests compare with shipped files (the
    answer layer's fit) must not depend on whether this CPU has bfloat16 (tests/test_embedder.py
    checks those batches against these)."""
    from index.embedder import Embedder, set_threads

    set_threads(1)
    return Embedder(bf16=False)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, real_encoder) -> Path:
    """The seed corpus indexed with the real model, built once per session."""
    from index.build import build_index
    from index.manifest import IndexConfig

    folder = tmp_path_factory.mktemp("seed") / "index"
    build_index(SEED_CORPUS, folder, real_encoder, IndexConfig(model=real_encoder.info))
    return folder


@pytest.fixture(scope="session")
def assistant(seed_index, real_encoder):
    from qa.assistant import Assistant

    return Assistant.open(seed_index, encoder=real_encoder)


REAL_CORPUS = ROOT.parent / "shared" / "corpora" / "mining-policy"
MINING_POLICY_GOLD = ROOT / "eval" / "gold_mining_policy.jsonl"


@pytest.fixture(scope="session")
def real_corpus_cache(tmp_path_factory, real_encoder) -> tuple[Path, Path]:
    """The real corpus copied as a user drops it (every file but SOURCES.md) and indexed with the
    real model under a cache folder, once per session: (folder, cache). `qa eval --corpus folder
    --cache cache` finds the index up to date."""
    import shutil

    from eval.runner import corpus_index

    if not REAL_CORPUS.is_dir():
        pytest.skip(f"the real corpus is not at {REAL_CORPUS} (it comes with ../shared beside the repo)")
    root = tmp_path_factory.mktemp("real")
    folder = root / "mining-policy"
    folder.mkdir()
    for path in REAL_CORPUS.iterdir():
        if path.is_file() and path.name != "SOURCES.md":
            shutil.copyfile(path, folder / path.name)
    corpus_index(folder, root / "cache", real_encoder)
    return folder, root / "cache"
