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
    from index.embedder import Embedder, set_threads

    set_threads(1)
    return Embedder()


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
