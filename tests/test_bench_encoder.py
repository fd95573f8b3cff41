"""eval.bench_encoder's passages from a built index, and its one-line errors."""

from __future__ import annotations


from eval.bench_encoder import index_passages, main
from index.build import build_index
from index.manifest import IndexConfig
from tests.fakes import FakeEncoder


def test_index_passages_are_what_the_build_embedded(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tailings.md").write_text("# Tailings\n\n" + "Tailings dams store mine waste. " * 8 + "\n")
    (corpus / "cobalt.md").write_text("# Cobalt\n\n" + "Cobalt is mined by hand in the Congo. " * 8 + "\n")
    index = tmp_path / "index"
    build_index(corpus, index, FakeEncoder(), IndexConfig(model=FakeEncoder.info))
    texts = index_passages(index, 10)
    assert len(texts) == 2
    assert any(t.startswith("Tailings\n") and "Tailings dams store mine waste." in t for t in texts)
    assert len(index_passages(index, 1)) == 1


def test_an_index_that_is_not_there_is_a_one_line_error(tmp_path, capsys):
    assert main(["--index", str(tmp_path / "none"), "--encoders", "torch-fp32,torch"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(tmp_path / "none") in err and err.count("\n") == 1
