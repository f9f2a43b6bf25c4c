"""GATE-TRAIN-018: the corpus is built in, the same bytes on every machine, verified on every load."""

from __future__ import annotations

import hashlib

import pytest

pytest.importorskip("torch")
from refhelpers import CONTRACT

from pv.reference import data


def _contract_data_block() -> dict:
    from pv.core.loader import load

    doc, findings = load(CONTRACT, CONTRACT.parents[1])
    assert doc is not None, findings
    return doc.data["data"]


@pytest.mark.contract("GATE-TRAIN-018")
def test_corpus_matches_the_recorded_checksums():
    block = _contract_data_block()
    corpus = data.builtin_corpus(block["default_corpus_bytes"])
    assert len(corpus) == 4_000_000
    assert hashlib.sha256(corpus).hexdigest() == block["default_corpus_sha256"] == data.DEFAULT_CORPUS_SHA256
    assert hashlib.sha256(corpus[:data.REFERENCE_BYTES]).hexdigest() == block["reference_sha256"]
    assert data.builtin_corpus(1000) == corpus[:1000], "a smaller corpus is a prefix of the larger one"
    assert corpus.isascii() and b". " in corpus[:200]


@pytest.mark.contract("GATE-TRAIN-018")
def test_training_reads_no_host_file(tiny_config, monkeypatch):
    """With directory walks and Path reads made to fail (how the corpus used to be
    read: the host's stdlib *.py files), a run still builds its data and trains."""
    import os
    from pathlib import Path

    from pv.reference import distributed
    from pv.reference.train import Trainer

    Trainer(tiny_config(epochs=1), distributed.DistContext()).train_step(0)  # torch's lazy imports, first
    data._generate.cache_clear()

    def refuse(what):
        def fail(*args, **kwargs):
            raise AssertionError(f"the loop read the host: {what}{args[:1]}")
        return fail

    monkeypatch.setattr(os, "walk", refuse("os.walk"))
    monkeypatch.setattr(Path, "read_bytes", refuse("Path.read_bytes"))
    monkeypatch.setattr(Path, "read_text", refuse("Path.read_text"))
    trainer = Trainer(tiny_config(epochs=1), distributed.DistContext())
    first = trainer.train_step(0)["train_loss"]
    for step in range(1, 15):
        last = trainer.train_step(step)["train_loss"]
    assert last < first - 0.5, "the generated text is learnable"


@pytest.mark.contract("GATE-TRAIN-018")
def test_altered_generator_is_refused(monkeypatch):
    data._generate.cache_clear()
    real = data._generate.__wrapped__
    monkeypatch.setattr(data, "_generate", lambda n: b"x" + real(n)[1:])
    with pytest.raises(data.CorpusChecksumError, match="generator changed"):
        data.builtin_corpus(10_000)
    with pytest.raises(ValueError, match="corpus_bytes"):
        data.builtin_corpus(0)
