"""GATE-TRAIN-002: per-epoch checkpoint + metadata, atomic writes, optimizer sha."""

from __future__ import annotations

import hashlib
import io
import math
import os
from pathlib import Path

import pytest

pytest.importorskip("torch")
from refhelpers import CONTRACT, read_json

from pv.reference import artifacts


def _required_metadata_fields() -> list[str]:
    from pv.core.loader import load

    doc, findings = load(CONTRACT, CONTRACT.parents[1])
    assert doc is not None, findings
    return doc.data["per_epoch_artifacts"]["metadata_json"]["required_fields"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    from refhelpers import TINY

    from pv.reference.regime import TrainingRegime
    from pv.reference.train import TrainConfig, run

    directory = tmp_path_factory.mktemp("ckpt") / "run"
    result = run(TrainConfig(run_dir=str(directory), regime=TrainingRegime.from_scratch(256), **TINY))
    assert result.status.value == "COMPLETED" and result.epochs_completed == 2
    return directory


@pytest.mark.contract("GATE-TRAIN-002")
def test_every_epoch_has_checkpoint_and_metadata(finished_run):
    fields = _required_metadata_fields()
    assert len(fields) == 9
    assert artifacts.checkpoint_epochs(finished_run) == [1, 2], "epoch N >= 1: after N epochs of updates"
    for epoch in (1, 2):
        assert artifacts.checkpoint_path(finished_run, epoch).is_file()
        metadata = read_json(artifacts.metadata_path(finished_run, epoch))
        for name in fields:
            assert name in metadata, f"epoch {epoch} metadata lacks {name}"
        assert metadata["epoch"] == epoch
        for name in fields:
            if name != "optimizer_state_sha":
                assert math.isfinite(metadata[name]) and metadata[name] >= 0, name
        assert metadata["train_ppl"] == pytest.approx(math.exp(metadata["train_loss"]))
        assert metadata["val_ppl"] == pytest.approx(math.exp(metadata["val_loss"]))
        assert metadata["tokens_seen"] == epoch * 10 * 8 * 32
        assert metadata["wall_seconds"] > 0 and metadata["grad_norm_max"] > 0
    leftovers = [p.name for p in (finished_run / "ckpt").iterdir() if p.name.startswith(".")]
    assert leftovers == [], "no temp files remain after a clean run"


@pytest.mark.contract("GATE-TRAIN-002")
def test_optimizer_sha_matches_saved_state(finished_run):
    import torch

    for epoch in (1, 2):
        metadata = read_json(artifacts.metadata_path(finished_run, epoch))
        members = artifacts.read_checkpoint(artifacts.checkpoint_path(finished_run, epoch))
        saved = members[artifacts.OPTIMIZER_MEMBER]
        assert metadata["optimizer_state_sha"] == hashlib.sha256(saved).hexdigest()
        state = torch.load(io.BytesIO(saved), weights_only=True)
        assert state["state"], "the saved optimizer state holds AdamW moments"
    first = read_json(artifacts.metadata_path(finished_run, 1))["optimizer_state_sha"]
    second = read_json(artifacts.metadata_path(finished_run, 2))["optimizer_state_sha"]
    assert first != second, "the optimizer state changes between epochs"


@pytest.mark.contract("GATE-TRAIN-002")
def test_every_artifact_is_fsynced_then_renamed_into_place(tiny_config, monkeypatch):
    """Each checkpoint, metadata, config and status file is a temp file in its own directory, fsynced,
    then moved over its name with os.replace: a crash leaves the old file or the new one, never half."""
    from pv.core import atomic
    from pv.reference.train import run

    cfg = tiny_config(epochs=2)
    run_dir = Path(cfg.run_dir)
    fsynced: set[int] = set()  # inodes of the files fsynced so far
    renamed: list[str] = []
    real_replace, real_fsync = os.replace, os.fsync

    def recording_fsync(fd):
        fsynced.add(os.fstat(fd).st_ino)
        real_fsync(fd)

    def recording_replace(src, dst):
        src, dst = Path(src), Path(dst)
        if run_dir in dst.parents:
            assert src.parent == dst.parent and src.name.startswith("."), (src, dst)
            inode = os.stat(src).st_ino
            assert inode in fsynced, f"{dst.name} was renamed into place before an fsync"
            fsynced.discard(inode)
            renamed.append(dst.relative_to(run_dir).as_posix())
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", recording_fsync)
    monkeypatch.setattr(atomic.os, "replace", recording_replace)
    assert run(cfg).status.value == "COMPLETED"
    monkeypatch.undo()

    expected = ["config.json", "status.json", "initial-eval.json", "ckpt/step-00000000.pt",
                "ckpt/step-00000000.metadata.json"] + [
        p.relative_to(run_dir).as_posix() for epoch in (1, 2)
        for p in (artifacts.checkpoint_path(run_dir, epoch), artifacts.metadata_path(run_dir, epoch))]
    assert sorted(renamed) == sorted(expected), "every artifact is renamed into place exactly once"


@pytest.mark.contract("GATE-TRAIN-002")
@pytest.mark.parametrize("victim", ["epoch-002.pt", "epoch-002.metadata.json"])
def test_crash_during_write_leaves_last_good_pair(tiny_config, monkeypatch, victim):
    """Power cut while one of epoch 2's files is renamed into place: epoch 1's pair survives intact,
    epoch 2 does not count, and a resume finishes the run."""
    from pv.core import atomic
    from pv.reference.train import run

    cfg = tiny_config(epochs=3)
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith(victim):
            raise KeyboardInterrupt("simulated crash inside os.replace")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        run(cfg)
    monkeypatch.setattr(atomic.os, "replace", real_replace)

    run_dir = Path(cfg.run_dir)
    assert not (run_dir / "ckpt" / victim).exists(), "the interrupted file never appears under its name"
    assert not artifacts.metadata_path(run_dir, 2).exists()
    assert [p.name for p in (run_dir / "ckpt").iterdir() if p.name.startswith(".")] == [], "temp file removed"
    found = artifacts.latest_good_epoch(run_dir)
    assert found is not None and found[0] == 1
    assert found[2]["optimizer_state_sha"] == artifacts.sha256(found[1][artifacts.OPTIMIZER_MEMBER])
    resumed = run(cfg, resume=True)
    assert resumed.status.value == "COMPLETED" and resumed.epochs_completed == 3
    assert artifacts.latest_good_epoch(run_dir)[0] == 3


@pytest.mark.contract("GATE-TRAIN-002")
def test_torn_pair_is_skipped_on_resume(tiny_config):
    """A pair that does not add up (metadata missing, unparsable or with another optimizer sha; a truncated
    checkpoint) is not used."""
    from pv.reference.train import run

    cfg = tiny_config(epochs=2)
    assert run(cfg).status.value == "COMPLETED"
    run_dir = Path(cfg.run_dir)
    assert artifacts.latest_good_epoch(run_dir)[0] == 2
    meta = artifacts.metadata_path(run_dir, 2)
    original = meta.read_text(encoding="utf-8")
    meta.write_text(original.replace(read_json(meta)["optimizer_state_sha"], "0" * 64), encoding="utf-8")
    assert artifacts.latest_good_epoch(run_dir)[0] == 1, "an optimizer sha mismatch disqualifies the pair"
    meta.write_text(original[:40], encoding="utf-8")
    assert artifacts.latest_good_epoch(run_dir)[0] == 1, "unparsable metadata disqualifies the pair"
    meta.unlink()
    found = artifacts.latest_good_epoch(run_dir)
    assert found is not None and found[0] == 1
    # A truncated checkpoint (torn copy) is skipped the same way.
    ckpt = artifacts.checkpoint_path(run_dir, 1)
    ckpt.write_bytes(ckpt.read_bytes()[:1000])
    assert artifacts.latest_good_epoch(run_dir) is None


@pytest.mark.slow
@pytest.mark.contract("GATE-TRAIN-002")
def test_killed_process_leaves_last_good_pair(tmp_path):
    """SIGKILL in the middle of epoch 3: the pairs of epochs 1 and 2 are intact and the run resumes."""
    import subprocess
    import sys

    from refhelpers import tiny_cli_args

    run_dir = tmp_path / "killed"
    args = tiny_cli_args(run_dir, epochs=3, warmup_steps=5) + ["--inject-fault", "kill:step=25"]
    proc = subprocess.run([sys.executable, "-m", "pv", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert not (run_dir / "status.json").exists()
    found = artifacts.latest_good_epoch(run_dir)
    assert found is not None and found[0] == 2
    resumed = subprocess.run([sys.executable, "-m", "pv", "pretrain", "--run-dir", str(run_dir), "--resume",
                              "--quiet"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert read_json(run_dir / "status.json")["epochs_completed"] == 3


def test_hostile_checkpoint_files_are_refused_not_read(tmp_path):
    """check-run and --resume read run dirs that may come from elsewhere: no hang, no zip bomb, no crash."""
    import zipfile

    device = tmp_path / "zero.pt"
    device.symlink_to("/dev/zero")  # reading it never ends
    fifo = tmp_path / "fifo.pt"
    os.mkfifo(fifo)  # opening it for reading blocks while no one writes
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("optimizer.pt", b"\0" * (20 * 1024 * 1024))  # 20 KB on disk
    for path, reason in ((device, "not a regular file"), (fifo, "not a regular file"),
                         (bomb, "larger than the file")):
        with pytest.raises(ValueError, match=reason):
            artifacts.read_checkpoint(path)
    run_dir = tmp_path / "run"
    artifacts.write_epoch(run_dir, 1, {"optimizer.pt": b"state"},
                          {"optimizer_state_sha": artifacts.sha256(b"state"), "step": 10})
    assert artifacts.latest_good_epoch(run_dir)[0] == 1
    artifacts.metadata_path(run_dir, 1).write_text("[" * 100_000 + "]" * 100_000)
    assert artifacts.latest_good_epoch(run_dir) is None  # RecursionError is "unusable", not a crash
