"""GATE-TRAIN-009 (--mode table, overrides win) and GATE-TRAIN-010 (absent --synthetic = real compute)."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torch")
from click.testing import CliRunner
from refhelpers import CONTRACT, read_json, read_metrics, tiny_cli_args

from pv.cli import cli
from pv.reference.hparams import MODE_DEFAULTS


def _invoke(args: list[str]):
    return CliRunner().invoke(cli, args)


def _contract_table() -> dict[str, dict]:
    from pv.core.loader import load

    doc, findings = load(CONTRACT, CONTRACT.parents[1])
    assert doc is not None, findings
    block = doc.data["hyperparameter_defaults"]
    return {row["mode"]: {k: v for k, v in row.items() if k != "mode"} for row in block["modes"]}, block


@pytest.mark.contract("GATE-TRAIN-009")
def test_mode_defaults_match_contract_table():
    table, block = _contract_table()
    assert table == MODE_DEFAULTS
    assert block["cli_default_mode"] == "from-scratch"


@pytest.mark.contract("GATE-TRAIN-009")
@pytest.mark.parametrize("mode", ["finetune", "from-scratch"])
def test_mode_sets_all_four_together(tmp_path, mode):
    run_dir = tmp_path / mode
    result = _invoke(tiny_cli_args(run_dir, epochs=1, steps_per_epoch=2) + ["--mode", mode])
    assert result.exit_code == 0, result.output
    config = read_json(run_dir / "config.json")
    row = MODE_DEFAULTS[mode]
    expected_regime = {"kind": "finetune"} if mode == "finetune" else {"kind": "from_scratch", "vocab_size": 256}
    assert config["regime"] == expected_regime
    assert (config["lr_max"], config["warmup_steps"], config["target_val_loss"]) == (
        row["lr_max"], row["warmup_steps"], row["target_val_loss"])
    assert read_metrics(run_dir)[0]["lr"] == pytest.approx(row["lr_max"] / row["warmup_steps"])


@pytest.mark.contract("GATE-TRAIN-009")
def test_explicit_overrides_win(tmp_path):
    run_dir = tmp_path / "override"
    result = _invoke(tiny_cli_args(run_dir, epochs=1, steps_per_epoch=2)
                     + ["--mode", "finetune", "--lr", "0.01", "--warmup-steps", "4", "--target-val-loss", "1.25"])
    assert result.exit_code == 0, result.output
    config = read_json(run_dir / "config.json")
    assert config["regime"] == {"kind": "finetune"}  # the mode still picks the regime
    assert (config["lr_max"], config["warmup_steps"], config["target_val_loss"]) == (0.01, 4, 1.25)
    # One override leaves the other defaults of the mode alone.
    run_dir = tmp_path / "one"
    assert _invoke(tiny_cli_args(run_dir, epochs=1, steps_per_epoch=2) + ["--lr", "0.002"]).exit_code == 0
    config = read_json(run_dir / "config.json")
    assert config["lr_max"] == 0.002
    assert config["warmup_steps"] == MODE_DEFAULTS["from-scratch"]["warmup_steps"]
    assert config["regime"]["kind"] == "from_scratch"


@pytest.mark.contract("GATE-TRAIN-010")
def test_absent_synthetic_flag_means_real_compute(tmp_path, monkeypatch):
    from pv.reference import train

    def must_not_run(*args, **kwargs):
        raise AssertionError("the scripted path ran without --synthetic")

    monkeypatch.setattr(train, "_scripted", must_not_run)
    run_dir = tmp_path / "real"
    result = _invoke(tiny_cli_args(run_dir, epochs=1, steps_per_epoch=20, warmup_steps=5))
    assert result.exit_code == 0, result.output
    assert read_json(run_dir / "config.json")["synthetic"] is False
    assert read_json(run_dir / "status.json")["compute"] == "real"
    assert read_json(run_dir / "ckpt" / "epoch-001.metadata.json")["compute"] == "real"
    losses = [r["train_loss"] for r in read_metrics(run_dir)]
    assert abs(losses[0] - math.log(256)) < 0.3, "an untrained byte model starts near ln(256)"
    assert losses[-1] < losses[0] - 0.3, "and learns"
    # The recorded numbers are the model's: recompute step 0's training loss from the same seeded init
    # and batch, and epoch 0's validation loss from the checkpointed weights.
    import io

    import torch

    from pv.reference import artifacts, distributed
    from pv.reference.model import lm_loss

    fresh = train.Trainer(train.TrainConfig.from_dict(read_json(run_dir / "config.json")),
                          distributed.DistContext())
    x, y = fresh.stream.batch(0)
    with torch.no_grad():
        assert losses[0] == pytest.approx(lm_loss(fresh.model(x), y).item(), abs=1e-5)
    members = artifacts.read_checkpoint(artifacts.checkpoint_path(run_dir, 1))
    fresh.model.load_state_dict(torch.load(io.BytesIO(members["model.pt"]), weights_only=True))
    val_loss = read_json(artifacts.metadata_path(run_dir, 1))["val_loss"]
    with torch.no_grad():
        recomputed = sum(lm_loss(fresh.model(x), y).item() for x, y in fresh.val) / len(fresh.val)
    assert recomputed == pytest.approx(val_loss, abs=1e-5)


@pytest.mark.contract("GATE-TRAIN-010")
def test_synthetic_flag_selects_scripted_path(tmp_path):
    from pv.reference.train import _scripted

    run_dir = tmp_path / "synthetic"
    result = _invoke(tiny_cli_args(run_dir, epochs=1, steps_per_epoch=10) + ["--synthetic"])
    assert result.exit_code == 0, result.output
    assert read_json(run_dir / "config.json")["synthetic"] is True
    assert read_json(run_dir / "status.json")["compute"] == "synthetic"
    assert [r["train_loss"] for r in read_metrics(run_dir)] == [_scripted(s, 256)[0] for s in range(10)]


def test_usage_errors_exit_2(tmp_path):
    run_dir = tmp_path / "u"
    assert _invoke(tiny_cli_args(run_dir, epochs=1, steps_per_epoch=1)).exit_code == 0
    again = _invoke(tiny_cli_args(run_dir, epochs=1, steps_per_epoch=1))
    assert again.exit_code == 2 and "already holds a run" in again.output
    changed = _invoke(["pretrain", "--run-dir", str(run_dir), "--resume", "--epochs", "9"])
    assert changed.exit_code == 2 and "--epochs" in changed.output
    missing = _invoke(["pretrain", "--run-dir", str(tmp_path / "none"), "--resume"])
    assert missing.exit_code == 2 and "nothing to resume" in missing.output
    fault = _invoke(tiny_cli_args(tmp_path / "f") + ["--inject-fault", "boom:step=1"])
    assert fault.exit_code == 2 and "unknown fault kind" in fault.output
    heads = _invoke(tiny_cli_args(tmp_path / "h", n_heads=3))
    assert heads.exit_code == 2 and "divisible" in heads.output
    for result in (again, changed, missing, fault, heads):
        assert "Traceback" not in result.output


@pytest.mark.contract("GATE-TRAIN-009")
def test_finetune_mode_starts_from_given_weights(tmp_path):
    """--mode finetune --init-from: the pretrained weights are used, so the first loss is far below ln(256)."""
    base = tmp_path / "base"
    assert _invoke(tiny_cli_args(base, epochs=1, steps_per_epoch=30, warmup_steps=5)).exit_code == 0
    tuned = tmp_path / "tuned"
    result = _invoke(tiny_cli_args(tuned, epochs=1, steps_per_epoch=3)
                     + ["--mode", "finetune", "--init-from", str(base / "ckpt" / "epoch-001.pt")])
    assert result.exit_code == 0, result.output
    first = read_metrics(tuned)[0]["train_loss"]
    assert first < read_metrics(base)[0]["train_loss"] - 1.0
    assert read_json(tuned / "config.json")["regime"] == {"kind": "finetune"}
    wrong_vocab = _invoke(tiny_cli_args(tmp_path / "v", epochs=1, steps_per_epoch=1, vocab_size=300)
                          + ["--init-from", str(base / "ckpt" / "epoch-001.pt")])
    assert wrong_vocab.exit_code == 2 and "vocab_size 256 (this run: 300)" in wrong_vocab.output


def test_interrupt_and_io_errors_are_reported_not_raised(tmp_path, monkeypatch):
    from pv.reference import train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "run", interrupted)
    result = _invoke(tiny_cli_args(tmp_path / "i"))
    assert result.exit_code == 130 and "--resume" in result.output

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(train, "run", disk_full)
    result = _invoke(tiny_cli_args(tmp_path / "d"))
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert "Traceback" not in result.output


def test_a_model_too_big_for_memory_and_a_nan_target_are_messages(tmp_path, monkeypatch):
    from pv.reference import train

    def too_big(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(train, "run", too_big)
    result = _invoke(tiny_cli_args(tmp_path / "m"))
    assert result.exit_code == 1 and "out of memory" in result.output
    assert isinstance(result.exception, SystemExit)  # not a crash
    monkeypatch.undo()
    nan = _invoke(tiny_cli_args(tmp_path / "n") + ["--target-val-loss", "nan"])
    assert nan.exit_code == 2 and "target_val_loss must be a finite number" in nan.output


def test_resume_writes_into_the_given_run_dir_not_the_one_config_json_names(tmp_path):
    import json
    import shutil

    original = tmp_path / "original"
    assert _invoke(tiny_cli_args(original, epochs=1, steps_per_epoch=2)).exit_code == 0
    before = sorted(p.name for p in (original / "ckpt").iterdir())
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    config = json.loads((copy / "config.json").read_text())
    config["epochs"] = 2
    (copy / "config.json").write_text(json.dumps(config))
    result = _invoke(["pretrain", "--run-dir", str(copy), "--resume", "--quiet"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (original / "ckpt").iterdir()) == before  # untouched
    assert (copy / "ckpt" / "epoch-001.pt").is_file()
    assert read_json(copy / "config.json")["run_dir"] == str(copy)
    config["epochs"] = "3"  # a wrong type is a usage error, not a TypeError traceback
    (copy / "config.json").write_text(json.dumps(config))
    bad = _invoke(["pretrain", "--run-dir", str(copy), "--resume", "--quiet"])
    assert bad.exit_code == 2 and "config.json" in bad.output and isinstance(bad.exception, SystemExit)


def test_absurd_thread_count_is_a_usage_error(tmp_path):
    # --threads 100000 reached torch.set_num_threads and the process died with SIGSEGV (exit 139).
    result = _invoke(tiny_cli_args(tmp_path / "t") + ["--threads", "100000"])
    assert result.exit_code == 2 and "--threads" in result.output
