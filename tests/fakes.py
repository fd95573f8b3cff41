"""A deterministic fake embedder for fast unit tests: hashed bag of stemmed-ish words."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from index.embedder import ModelInfo

FAKE_INFO = ModelInfo("fake/hashed-bag-of-words", 64, 256)


class FakeEncoder:
    info = FAKE_INFO

    def __init__(self) -> None:
        self.calls = 0
        self.encoded = 0

    def fits(self, text: str) -> bool:
        return len(text.split()) <= 200

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.calls += 1
        self.encoded += len(texts)
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word[:6].encode()).hexdigest(), 16)
                out[i, h % self.info.dim] += 1.0 if (h >> 8) & 1 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        return out
