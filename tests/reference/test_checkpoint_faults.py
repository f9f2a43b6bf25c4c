"""GATE-TRAIN-016: checkpoint faults are loud (each skipped file named, with why) and never destructive."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

pytest.importorskip("torch")
from click.testing import CliRunner
from refhelpers import read_json, read_metrics, tiny_cli_args

from pv.cli import cli
from pv.reference import artifacts


@pytest.fixture
def finished(tiny_config):
    from pv.reference.train import run

    cfg = tiny_config(epochs=2, steps_per_epoch=5)
    assert run(cfg).status.value == "COMPLETED"
    return cfg


@pytest.mark.contract("GATE-TRAIN-016")
def test_skipped_checkpoint_is_named_with_its_reason(finished, caplog):
    from pv.reference.train import run

    run_dir = Path(finished.run_dir)
    newest = artifacts.checkpoint_path(run_dir, 2)
    newest.write_bytes(newest.read_bytes()[:500])  # torn
    finished.epochs = 3
    with caplog.at_level(logging.WARNING, logger="pv.reference"):
        result = run(finished, resume=True)
    assert result.status.value == "COMPLETED" and result.epochs_completed == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(newest) in w and "not a readable checkpoint" in w for w in warnings), warnings
    assert [r["step"] for r in read_metrics(run_dir)] == list(range(15)), "resumed from epoch 1, redid 2 and 3"
    # Metadata that cannot be read hides the checkpoint's step: it is named first, not passed over silently.
    artifacts.metadata_path(run_dir, 1).write_text("{not json")
    first = next(iter(artifacts.resume_candidates(run_dir)))
    assert first[0] == artifacts.checkpoint_path(run_dir, 1) and "metadata is unreadable" in first[1]


@pytest.mark.contract("GATE-TRAIN-016")
def test_resume_without_usable_checkpoint_refuses_and_changes_nothing(finished):
    run_dir = Path(finished.run_dir)
    for f in artifacts.checkpoint_files(run_dir):
        f.path.write_bytes(b"PK\x03\x04 not really a zip")
    before = {p.name: p.read_bytes() for p in [run_dir / "metrics.jsonl", *sorted((run_dir / "ckpt").iterdir())]}
    result = CliRunner().invoke(cli, ["pretrain", "--run-dir", str(run_dir), "--resume", "--quiet"])
    assert result.exit_code == 2, result.output
    assert "no usable checkpoint" in result.output and "nothing was changed" in result.output
    assert "epoch-002.pt" in result.output and "step-00000000.pt" in result.output, "each file is named"
    assert "Traceback" not in result.output
    after = {p.name: p.read_bytes() for p in [run_dir / "metrics.jsonl", *sorted((run_dir / "ckpt").iterdir())]}
    assert after == before, "metrics.jsonl and the checkpoints are untouched"


@pytest.mark.contract("GATE-TRAIN-016")
def test_garbage_member_is_skipped_not_a_traceback(finished, caplog):
    """A zip-valid checkpoint whose model.pt is garbage: caught by its recorded sha256, and even with the
    metadata forged to match, by loading it; the resume falls back to the older checkpoint."""
    from pv.reference.train import run

    run_dir = Path(finished.run_dir)
    ckpt, meta = artifacts.checkpoint_path(run_dir, 2), artifacts.metadata_path(run_dir, 2)
    members = artifacts.read_checkpoint(ckpt)
    members["model.pt"] = b"PK garbage, not a torch.save blob" * 10
    artifacts.write_checkpoint(ckpt, members)
    found = list(artifacts.resume_candidates(run_dir))
    assert found[0] == (ckpt, "member model.pt does not match its recorded sha256 (corrupt or replaced)")
    metadata = read_json(meta)
    metadata["member_sha256"]["model.pt"] = artifacts.sha256(members["model.pt"])
    meta.write_text(json.dumps(metadata))
    finished.epochs = 3
    with caplog.at_level(logging.WARNING, logger="pv.reference"):
        result = run(finished, resume=True)
    assert result.status.value == "COMPLETED"
    assert any("epoch-002.pt" in r.getMessage() and "model.pt cannot be loaded" in r.getMessage()
               for r in caplog.records), [r.getMessage() for r in caplog.records]


@pytest.mark.contract("GATE-TRAIN-016")
def test_init_from_another_architecture_says_what_differs(finished, tmp_path):
    ckpt = artifacts.checkpoint_path(Path(finished.run_dir), 1)
    result = CliRunner().invoke(cli, tiny_cli_args(tmp_path / "wide", d_model=48, n_heads=2, epochs=1)
                                + ["--mode", "finetune", "--init-from", str(ckpt)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "d_model 32 (this run: 48)" in result.output
    # A checkpoint from before model_config.json (v1.5.0) is compared tensor by tensor.
    members = artifacts.read_checkpoint(ckpt)
    del members[artifacts.MODEL_CONFIG_MEMBER]
    old = tmp_path / "old.pt"
    artifacts.write_checkpoint(old, members)
    result = CliRunner().invoke(cli, tiny_cli_args(tmp_path / "wide2", d_model=48, n_heads=2, epochs=1)
                                + ["--mode", "finetune", "--init-from", str(old)])
    assert result.exit_code == 2 and "tok.weight: (256, 32) (this run: (256, 48))" in result.output, result.output
    assert not (tmp_path / "wide" / "metrics.jsonl").exists()


@pytest.mark.contract("GATE-TRAIN-016")
def test_orphaned_temp_files_are_removed_on_the_next_start(finished, caplog):
    from pv.reference.train import run

    run_dir = Path(finished.run_dir)
    orphans = [run_dir / "ckpt" / ".epoch-003.pt.k2j4x9.tmp", run_dir / ".status.json.abcd12.tmp"]
    for orphan in orphans:
        orphan.write_bytes(b"half a checkpoint")
    keeper = run_dir / "ckpt" / "notes.tmp"  # not a name pv's atomic writes use
    keeper.write_text("mine")
    finished.epochs = 3
    with caplog.at_level(logging.WARNING, logger="pv.reference"):
        assert run(finished, resume=True).status.value == "COMPLETED"
    assert not any(o.exists() for o in orphans) and keeper.exists()
    assert sum("left by an interrupted write" in r.getMessage() for r in caplog.records) == 2


@pytest.mark.contract("GATE-TRAIN-016")
def test_resume_keeps_saved_threads(tmp_path, monkeypatch):
    from pv.reference import train

    run_dir = tmp_path / "threads"
    args = tiny_cli_args(run_dir, epochs=1, steps_per_epoch=2)  # tiny_cli_args passes --threads 1
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert read_json(run_dir / "config.json")["threads"] == 1
    seen: list = []
    real_run = train.run
    monkeypatch.setattr(train, "run", lambda cfg, **kw: seen.append((cfg.threads, cfg.device)) or real_run(cfg, **kw))
    config = read_json(run_dir / "config.json")
    config["epochs"] = 2
    (run_dir / "config.json").write_text(json.dumps(config))
    result = CliRunner().invoke(cli, ["pretrain", "--run-dir", str(run_dir), "--resume", "--quiet"])
    assert result.exit_code == 0, result.output
    assert seen == [(1, "cpu")], "the saved --threads and --device hold on resume"
    assert read_json(run_dir / "config.json")["threads"] == 1
