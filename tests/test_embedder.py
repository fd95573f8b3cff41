"""The real model: the frozen single-question graph gives the eager model's vectors, and bfloat16
batches give float32's."""

import json
from dataclasses import replace

import numpy as np
import pytest

import index.embedder as embedder
from index.embedder import BF16, FP32, TORCH, TORCH_FP32, Embedder, ModelInfo, make_encoder
from index.errors import IndexCorrupt
from index.manifest import IndexConfig
from tests.fakes import FAKE_INFO, FakeEncoder


def test_frozen_query_graph_matches_the_eager_model(real_encoder):
    real_encoder.warm_up(1)
    assert real_encoder._query_graph is not None
    texts = [
        "Who founded CCCMC?",
        "What safeguards for affected communities does the Alliance say green mining must build in, and why?",
        "cobalt " * 300,  # over the window: falls back to the eager, truncating path
    ]
    together = real_encoder.encode(texts)  # a batch always takes the eager path
    for text, expected in zip(texts, together):
        single = real_encoder.encode([text])
        assert single.shape == (1, real_encoder.info.dim) and single.dtype == np.float32
        assert float(single[0] @ expected) > 0.9999
        assert abs(float(np.linalg.norm(single[0])) - 1.0) < 1e-5


# --- bfloat16 batches ------------------------------------------------------------------------


PASSAGES = [
    "Tailings dams store mine waste and must be monitored by independent engineers.",
    "The Alliance says green mining must build in safeguards for affected communities.",
    "cobalt " * 300,  # a whole window
    "a",
]


@pytest.mark.model
def test_bf16_batches_give_the_float32_vectors():
    fast, exact = Embedder(bf16=True), Embedder(bf16=False)
    got, expected = fast.encode(PASSAGES), exact.encode(PASSAGES)
    assert fast.info.precision == BF16 and exact.info.precision == FP32  # the probe agreed: bf16 kept
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(got * expected, axis=1))) >= embedder.BF16_AGREEMENT
    assert not np.array_equal(got, expected)  # it did run in bfloat16


def test_precision_follows_the_cpu(monkeypatch):
    monkeypatch.setattr(embedder, "native_bf16", lambda: True)
    assert Embedder().info.precision == BF16 and make_encoder(TORCH).info.precision == BF16
    assert make_encoder(TORCH_FP32).info.precision == FP32  # asked for by name
    monkeypatch.setattr(embedder, "native_bf16", lambda: False)  # emulated bfloat16 would be slower
    assert Embedder().info.precision == FP32 and make_encoder(TORCH).info.encoder == TORCH
    with pytest.raises(ValueError, match="precision must be one of fp32, bf16, int8, not 'fp16'"):
        ModelInfo("m", 8, 256, TORCH, "fp16")


@pytest.mark.model
def test_bf16_that_disagrees_with_float32_is_not_used(monkeypatch):
    monkeypatch.setattr(embedder, "_agrees_in_bf16", lambda model: False)
    encoder = Embedder(bf16=True)
    vectors = encoder.encode(PASSAGES[:2])
    assert encoder.info.precision == FP32
    assert np.array_equal(vectors, Embedder(bf16=False).encode(PASSAGES[:2]))


class Bf16Encoder(FakeEncoder):
    """The fake's vectors, recorded as embedded in bfloat16."""

    info = replace(FAKE_INFO, precision=BF16)


def test_the_manifest_records_the_precision_and_an_index_holds_either(tmp_path):
    from index.build import build_index
    from index.store import load_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tailings.md").write_text("# Tailings\n\n" + "Tailings dams store mine waste. " * 8 + "\n")
    index = tmp_path / "index"
    build_index(corpus, index, Bf16Encoder(), IndexConfig(model=Bf16Encoder.info))
    manifest = index / (index / "CURRENT").read_text().strip() / "manifest.json"
    assert json.loads(manifest.read_text())["model"]["precision"] == BF16
    assert load_index(index, IndexConfig(model=FAKE_INFO)).manifest.config.model.precision == BF16  # fp32 reads it

    (corpus / "cobalt.md").write_text("# Cobalt\n\n" + "Cobalt is mined by hand. " * 8 + "\n")
    report = build_index(corpus, index, FakeEncoder(), IndexConfig(model=FAKE_INFO))
    assert report.reused > 0 and report.embedded < report.chunks  # the bf16 rows are kept, not re-embedded

    live = index / (index / "CURRENT").read_text().strip() / "manifest.json"
    data = json.loads(live.read_text())
    data["model"]["precision"] = "fp16"
    live.write_text(json.dumps(data))
    with pytest.raises(IndexCorrupt, match="manifest.json is unreadable.*precision") as caught:
        load_index(index, IndexConfig(model=FAKE_INFO))
    assert "\n" not in str(caught.value)


def test_native_bf16_reads_the_cpu_flags_without_torch(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    detect = embedder.native_bf16.__wrapped__  # uncached
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni\n")
    assert detect(cpuinfo) is False  # AVX-512 without BF16: emulated, slower than float32
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n")
    assert detect(cpuinfo) is True
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu amx_bf16 amx_tile\n")
    assert detect(cpuinfo) is True
    assert detect(tmp_path / "missing") is False  # not Linux: float32
