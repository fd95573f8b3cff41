"""The ONNX Runtime encoder: its vectors against torch's, its export cache, choosing it, and the
manifest refusing an index built with the other encoder.

The export (~10-20 s) happens once per session into a session temporary folder, so no test
depends on the user's cache or on the order tests run in.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.embedder import (
    DEFAULT_ENCODER, ENCODER_ENV, ENCODERS, FP32, INT8, MODEL_NAME, ONNX_FP32, ONNX_INT8, TORCH, TORCH_FP32, Embedder,
    ModelInfo,
    default_encoder, make_encoder, onnx_available,
)
from index.errors import EncoderUnavailable, IndexError_, IndexMismatch, UnknownEncoder
from index.manifest import MANIFEST_FILE, IndexConfig
from tests.fakes import FAKE_INFO, FakeEncoder

needs_onnx = pytest.mark.skipif(not onnx_available(), reason="onnxruntime and onnx are not installed")

TEXTS = [
    "Who founded CCCMC?",
    "What safeguards for affected communities does the Alliance say green mining must build in, and why?",
    "Lithium brine extraction in the Andes uses large volumes of scarce water.",
    "cobalt " * 300,  # over the 256-piece window: truncated as sentence-transformers truncates
    "a",
]


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory) -> Path:
    """A session cache holding the fp32 and int8 exports, made once."""
    if not onnx_available():
        pytest.skip("onnxruntime and onnx are not installed")
    from index.onnx_encoder import OnnxEmbedder

    cache = tmp_path_factory.mktemp("onnx-cache")
    OnnxEmbedder(quantized=True, cache=cache).model_file()  # exports fp32, then quantises it
    return cache


@pytest.fixture(scope="session")
def torch_vectors(real_encoder) -> np.ndarray:
    return real_encoder.encode(TEXTS)


def onnx_encoder(cache: Path, quantized: bool):
    from index.onnx_encoder import OnnxEmbedder

    encoder = OnnxEmbedder(quantized=quantized, cache=cache)
    encoder.warm_up(1)
    return encoder


# --- vectors -------------------------------------------------------------------------------


@pytest.mark.model
def test_fp32_export_gives_torch_vectors(onnx_cache, torch_vectors):
    vectors = onnx_encoder(onnx_cache, quantized=False).encode(TEXTS)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.min(np.sum(vectors * torch_vectors, axis=1)) > 0.9999


@pytest.mark.model
def test_int8_vectors_are_close_to_torch_and_normalised(onnx_cache, torch_vectors):
    encoder = onnx_encoder(onnx_cache, quantized=True)
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32 and vectors.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    agreement = np.sum(vectors * torch_vectors, axis=1)
    assert agreement.min() > 0.95 and agreement.mean() > 0.98
    # the same ranking: each text's nearest torch vector is its own
    assert list(np.argmax(vectors @ torch_vectors.T, axis=1)) == list(range(len(TEXTS)))


def test_the_exports_run_fused_attention_and_int8_products(onnx_cache):
    import onnx

    from index.embedder import model_dir
    from index.onnx_encoder import model_file_name

    ops = {q: {n.op_type for n in onnx.load(str(onnx_cache / model_file_name(model_dir(), q))).graph.node} for q in (False, True)}
    assert {"Attention", "SkipLayerNormalization", "BiasGelu"} <= ops[False] and "MatMul" in ops[False]
    assert {"QAttention", "MatMulInteger", "DynamicQuantizeLinear"} <= ops[True] and "Attention" not in ops[True]


@pytest.mark.model
def test_batching_and_order_do_not_change_fp32_vectors(onnx_cache):
    encoder = onnx_encoder(onnx_cache, quantized=False)
    together = encoder.encode(TEXTS)  # padded to the longest of its batch
    for text, expected in zip(TEXTS, together):
        assert float(encoder.encode([text])[0] @ expected) > 0.99999
    backwards = encoder.encode(TEXTS[::-1])[::-1]
    assert np.min(np.sum(backwards * together, axis=1)) > 0.99999


@pytest.mark.model
def test_protocol_details_match_the_torch_embedder(onnx_cache, real_encoder):
    encoder = onnx_encoder(onnx_cache, quantized=True)
    assert encoder.info == replace(real_encoder.info, encoder=ONNX_INT8, precision=INT8)
    assert encoder.info.name == MODEL_NAME
    assert encoder.encode([]).shape == (0, 384)
    for text in ("short", "word " * 253, "word " * 254, "word " * 400):
        assert encoder.fits(text) == real_encoder.fits(text)
    encoder.warm_up(2)  # another thread count opens a new session
    assert encoder.session().get_session_options().intra_op_num_threads == 2


# --- the export cache ------------------------------------------------------------------------


@pytest.mark.model
def test_export_cache_holds_only_finished_files_and_is_reused(onnx_cache):
    from index.onnx_encoder import OnnxEmbedder, exported_model

    files = sorted(p.name for p in onnx_cache.iterdir())
    assert len(files) == 2 and "-fp32-ort" in files[0] and "-int8-ort" in files[1]
    assert not list(onnx_cache.glob(".*"))  # no temporary file left behind
    path = OnnxEmbedder(cache=onnx_cache).model_file()
    before = path.stat().st_mtime_ns
    assert exported_model(OnnxEmbedder().path, onnx_cache, quantized=True) == path
    assert path.stat().st_mtime_ns == before  # opened, not exported again


def _cache_with_fp32_only(onnx_cache: Path, cache: Path) -> None:
    from index.onnx_encoder import OnnxEmbedder

    cache.mkdir()
    fp32 = OnnxEmbedder(quantized=False, cache=onnx_cache).model_file()
    os.symlink(fp32, cache / fp32.name)


@pytest.mark.model
def test_a_killed_export_leaves_nothing_used_and_its_leftover_is_cleared(onnx_cache, tmp_path, monkeypatch):
    import shutil

    import index.onnx_encoder as onnx_encoder_module
    from index.onnx_encoder import STALE_SECONDS, OnnxEmbedder, exported_model

    cache = tmp_path / "cache"
    _cache_with_fp32_only(onnx_cache, cache)  # the fp32 export is there; the int8 one was being written
    leftover = cache / ".minilm-int8.killed.tmp.onnx"
    leftover.write_bytes(b"half a model")
    old = time.time() - STALE_SECONDS - 60
    os.utime(leftover, (old, old))
    young = cache / ".minilm-int8.running.tmp.onnx"
    young.write_bytes(b"another process is writing this")
    int8 = OnnxEmbedder(quantized=True, cache=onnx_cache).model_file()
    monkeypatch.setattr(onnx_encoder_module, "_quantize", lambda source, target: shutil.copyfile(int8, target))
    path = exported_model(OnnxEmbedder().path, cache, quantized=True)
    assert path.name == int8.name and path.is_file() and not leftover.exists() and young.exists()
    assert onnx_encoder(cache, quantized=True).encode(["cobalt"]).shape == (1, 384)


@pytest.mark.model
def test_a_failed_export_is_a_one_line_error_and_leaves_no_file(onnx_cache, tmp_path, monkeypatch):
    import index.onnx_encoder as onnx_encoder_module
    from index.onnx_encoder import OnnxEmbedder

    def broken(source, target):
        Path(target).write_bytes(b"the first megabyte")
        raise RuntimeError("disk full")

    cache = tmp_path / "cache"
    _cache_with_fp32_only(onnx_cache, cache)
    monkeypatch.setattr(onnx_encoder_module, "_quantize", broken)
    with pytest.raises(EncoderUnavailable, match="RuntimeError: disk full.*QA_ENCODER=torch") as caught:
        OnnxEmbedder(quantized=True, cache=cache).encode(["cobalt"])
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in cache.iterdir()) == [OnnxEmbedder(quantized=False, cache=cache).model_file().name]


def test_an_unwritable_cache_is_a_one_line_error(tmp_path):
    from index.onnx_encoder import OnnxEmbedder

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(EncoderUnavailable, match="QA_ONNX_CACHE"):
        OnnxEmbedder(cache=blocker / "cache").model_file()


def test_cache_folder_comes_from_the_environment(monkeypatch, tmp_path):
    from index.onnx_encoder import CACHE_ENV, cache_dir

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "onnx"))
    assert cache_dir() == tmp_path / "onnx"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "qa-onnx"


def test_creating_the_encoder_loads_nothing(tmp_path):
    from index.onnx_encoder import OnnxEmbedder

    encoder = OnnxEmbedder(cache=tmp_path / "never")
    assert not encoder.loaded and encoder.fits("a short text")
    assert not (tmp_path / "never").exists()


# --- choosing the encoder ----------------------------------------------------------------


@needs_onnx
def test_make_encoder_by_name():
    from index.onnx_encoder import OnnxEmbedder

    assert type(make_encoder("torch")) is Embedder
    onnx = make_encoder(" ONNX-int8 ")
    assert isinstance(onnx, OnnxEmbedder) and onnx.info.encoder == ONNX_INT8 and not onnx.loaded
    assert make_encoder(ONNX_FP32).info.encoder == ONNX_FP32
    assert (onnx.info.precision, make_encoder(ONNX_FP32).info.precision) == (INT8, FP32)
    forced = make_encoder(TORCH_FP32)
    assert type(forced) is Embedder and forced.info.encoder == TORCH and forced.info.precision == FP32
    assert set(ENCODERS) == {TORCH, ONNX_INT8} and DEFAULT_ENCODER in ENCODERS


def test_unknown_encoder_is_a_value_error_naming_the_choices(monkeypatch):
    with pytest.raises(ValueError, match=r"'tensorflow'.*torch, onnx-int8"):
        make_encoder("tensorflow")
    monkeypatch.setenv(ENCODER_ENV, "onnx-int4")
    with pytest.raises(UnknownEncoder, match=r"QA_ENCODER='onnx-int4'.*torch, onnx-int8") as caught:
        default_encoder()
    assert isinstance(caught.value, IndexError_) and "\n" not in str(caught.value)  # the CLI prints it as one line


@needs_onnx
def test_qa_encoder_chooses_and_the_default_falls_back_to_torch(monkeypatch):
    import index.embedder as embedder

    monkeypatch.setenv(ENCODER_ENV, "torch")
    assert default_encoder().info.encoder == TORCH
    monkeypatch.setenv(ENCODER_ENV, "onnx-int8")
    assert default_encoder().info.encoder == ONNX_INT8
    monkeypatch.delenv(ENCODER_ENV)
    assert default_encoder().info.encoder == DEFAULT_ENCODER
    monkeypatch.setattr(embedder, "onnx_available", lambda: False)  # onnxruntime not installed
    assert default_encoder().info.encoder == TORCH
    monkeypatch.setenv(ENCODER_ENV, "onnx-int8")  # asked for by name: say what is missing
    with pytest.raises(EncoderUnavailable, match="pip install onnxruntime"):
        default_encoder()


# --- the manifest --------------------------------------------------------------------------


class OtherEncoder(FakeEncoder):
    """The fake's vectors, recorded as made by ONNX Runtime int8."""

    info = replace(FAKE_INFO, encoder=ONNX_INT8)


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for topic, line in {
        "cobalt": "Cobalt mining in the Democratic Republic of the Congo relies on artisanal miners.",
        "tailings": "Tailings dams store mine waste and must be monitored by independent engineers.",
    }.items():
        (folder / f"{topic}.md").write_text(f"# {topic.title()}\n\n" + " ".join([line] * 6) + "\n")
    return folder


def manifest_path(index: Path) -> Path:
    return index / (index / "CURRENT").read_text().strip() / MANIFEST_FILE


def test_manifest_records_the_encoder_and_refuses_the_other(corpus, tmp_path):
    from index.build import build_index
    from index.store import load_index

    index = tmp_path / "index"
    torch_config, onnx_config = IndexConfig(model=FakeEncoder.info), IndexConfig(model=OtherEncoder.info)
    build_index(corpus, index, FakeEncoder(), torch_config)
    assert json.loads(manifest_path(index).read_text())["model"]["encoder"] == TORCH
    assert load_index(index, torch_config).manifest.config.model.encoder == TORCH
    with pytest.raises(IndexMismatch) as caught:
        load_index(index, onnx_config)
    message = str(caught.value)
    assert "built with the torch encoder" in message and "uses onnx-int8" in message
    assert f"qa index build --index {index}" in message and "QA_ENCODER=torch" in message and "\n" not in message

    report = build_index(corpus, index, OtherEncoder(), onnx_config)  # a plain build re-embeds everything
    assert report.written and report.embedded == report.chunks and report.reused == 0
    assert any("encoder" in note for note in report.notes)
    assert json.loads(manifest_path(index).read_text())["model"]["encoder"] == ONNX_INT8
    with pytest.raises(IndexMismatch, match="built with the onnx-int8 encoder"):
        load_index(index, torch_config)


def test_a_manifest_from_before_the_encoder_field_reads_as_torch(corpus, tmp_path):
    from index.build import build_index
    from index.store import load_index

    index = tmp_path / "index"
    torch_config = IndexConfig(model=FakeEncoder.info)
    build_index(corpus, index, FakeEncoder(), torch_config)
    path = manifest_path(index)
    data = json.loads(path.read_text())
    del data["model"]["encoder"]
    path.write_text(json.dumps(data))
    assert load_index(index, torch_config).manifest.config.model == ModelInfo(FAKE_INFO.name, FAKE_INFO.dim, 256)
    with pytest.raises(IndexMismatch, match="torch encoder"):
        load_index(index, IndexConfig(model=OtherEncoder.info))
    assert build_index(corpus, index, FakeEncoder(), torch_config).embedded == 0  # still up to date
