"""pv check-run: a real run passes; each way a run can break the contract is found, at its line."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pv.cli import cli
from pv.core.loader import load
from pv.runcheck.check import check_run
from pv.runcheck.spec import read_spec

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "contracts" / "training-loop-pretrain-v1.yaml"
TINY = dict(context=32, d_model=32, n_layers=2, n_heads=2, batch_size=8, corpus_bytes=300_000, val_batches=2,
            steps_per_epoch=10, epochs=3, threads=1, warmup_steps=5, lr_max=3e-3, device="cpu")


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    from pv.reference.regime import TrainingRegime
    from pv.reference.train import TrainConfig, run

    directory = tmp_path_factory.mktemp("good") / "run"
    assert run(TrainConfig(run_dir=str(directory), regime=TrainingRegime.from_scratch(256), **TINY)).exit_code == 0
    return directory


@pytest.fixture
def run_copy(good_run, tmp_path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(good_run, target)
    return target


def _spec(contract_text: str | None = None, tmp_path: Path | None = None):
    path = CONTRACT
    if contract_text is not None:
        assert tmp_path is not None
        path = tmp_path / "contract-v1.yaml"
        path.write_text(contract_text, encoding="utf-8")
    doc, findings = load(path, path.parent if contract_text is not None else REPO)
    assert doc is not None, findings
    return read_spec(doc)


def _codes(run_dir: Path, spec=None) -> list[tuple[str, str, int]]:
    spec = spec or _spec()[0]
    return [(f.code, Path(f.file).name, f.line) for f in check_run(spec, run_dir, show=str)]


def _edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data, indent=2))


def _edit_step(run_dir: Path, index: int, edit) -> None:
    path = run_dir / "metrics.jsonl"
    lines = path.read_text().splitlines()
    record = json.loads(lines[index])
    edit(record)
    lines[index] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n")


def test_real_run_passes(good_run):
    spec, findings = _spec()
    assert findings == [] and spec is not None
    assert _codes(good_run, spec) == []
    result = CliRunner().invoke(cli, ["check-run", str(CONTRACT), str(good_run)])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output


def test_missing_and_bad_step_fields(run_copy):
    _edit_step(run_copy, 3, lambda r: r.pop("grad_norm"))
    _edit_step(run_copy, 5, lambda r: r.update(device_util_pct=150.0))
    _edit_step(run_copy, 6, lambda r: r.update(lr=-1e-3))
    _edit_step(run_copy, 7, lambda r: r.update(train_loss="low"))
    path = run_copy / "metrics.jsonl"
    path.write_text(path.read_text().replace('"tokens_per_sec":', '"tokens_per_sec": NaN, "x":', 1))
    codes = _codes(run_copy)
    assert ("PV503", "metrics.jsonl", 4) in codes
    assert ("PV504", "metrics.jsonl", 6) in codes and ("PV504", "metrics.jsonl", 7) in codes
    assert ("PV504", "metrics.jsonl", 8) in codes and ("PV504", "metrics.jsonl", 1) in codes


def test_torn_line_and_step_gap(run_copy):
    path = run_copy / "metrics.jsonl"
    lines = path.read_text().splitlines()
    del lines[4]
    path.write_text("\n".join(lines) + "\n" + '{"step": 30, "train_')
    codes = _codes(run_copy)
    assert ("PV505", "metrics.jsonl", 5) in codes
    assert ("PV502", "metrics.jsonl", len(lines) + 1) in codes


def test_missing_artifacts_and_fields(run_copy):
    (run_copy / "ckpt" / "epoch-001.metadata.json").unlink()
    meta = run_copy / "ckpt" / "epoch-002.metadata.json"
    data = json.loads(meta.read_text())
    del data["grad_norm_max"]
    meta.write_text(json.dumps(data, indent=2))
    codes = _codes(run_copy)
    assert ("PV506", "epoch-001.metadata.json", 1) in codes
    assert ("PV507", "epoch-002.metadata.json", 1) in codes


def test_optimizer_sha_mismatch(run_copy):
    meta = run_copy / "ckpt" / "epoch-001.metadata.json"
    _edit_json(meta, optimizer_state_sha="0" * 64)
    line = meta.read_text().splitlines().index(f'  "optimizer_state_sha": "{"0" * 64}",') + 1
    assert ("PV508", "epoch-001.metadata.json", line) in _codes(run_copy)


def test_divergence_uses_the_runs_regime_and_the_contracts_caps(run_copy, tmp_path):
    meta = run_copy / "ckpt" / "epoch-003.metadata.json"
    previous = json.loads((run_copy / "ckpt" / "epoch-002.metadata.json").read_text())["val_loss"]
    _edit_json(meta, val_loss=2 * previous + 0.01)
    assert [c[0] for c in _codes(run_copy)] == ["PV509"]
    # The cap comes from the contract: tighten the from_scratch cap and epoch 0 (and, as the cap holds at
    # every epoch, every other epoch) fails too.
    text = CONTRACT.read_text(encoding="utf-8").replace(
        'epoch_zero_val_loss_cap: "2·ln(vocab_size)"', 'epoch_zero_val_loss_cap: "0.1·ln(vocab_size)"')
    text = text.replace('formula: "2·ln(vocab_size)"', 'formula: "0.1·ln(vocab_size)"')  # the formulas block
    spec, findings = _spec(text, tmp_path)
    assert findings == []
    assert sorted((c[0], c[1]) for c in _codes(run_copy, spec)) == [
        ("PV509", "epoch-001.metadata.json"), ("PV509", "epoch-002.metadata.json"),
        ("PV509", "epoch-003.metadata.json"), ("PV509", "initial-eval.json")]
    # The regime recorded by the run picks the cap: as a finetune, 10.0 applies.
    _edit_json(run_copy / "config.json", regime={"kind": "finetune"})
    assert [c[1] for c in _codes(run_copy, spec)] == ["epoch-003.metadata.json"]


def test_placeholder_fingerprint(run_copy):
    for epoch in (1, 2, 3):
        _edit_json(run_copy / "ckpt" / f"epoch-{epoch:03d}.metadata.json", train_loss=1.0, val_loss=1.0,
                   wall_seconds=0.01)
    for i in range(12):
        _edit_step(run_copy, i, lambda r: r.update(train_loss=1.0))
    codes = _codes(run_copy)
    assert sum(1 for c in codes if c[0] == "PV510") == 4
    assert ("PV510", "metrics.jsonl", 10) in codes


def test_synthetic_run_is_refused(tmp_path):
    pytest.importorskip("torch")
    run_dir = tmp_path / "synthetic"
    args = ["pretrain", "--run-dir", str(run_dir), "--synthetic", "--quiet", "--epochs", "2",
            "--steps-per-epoch", "5", "--corpus-bytes", "100000", "--context", "32", "--d-model", "32"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    codes = _codes(run_dir)
    assert [c[0] for c in codes] == ["PV511"]
    result = CliRunner().invoke(cli, ["check-run", str(CONTRACT), str(run_dir), "--format", "json"])
    assert result.exit_code == 1
    assert [f["code"] for f in json.loads(result.output)["findings"]] == ["PV511"]


def test_aborted_and_too_early_runs(run_copy):
    status = run_copy / "status.json"
    _edit_json(status, status="DIVERGENCE", exit_code=3, message="epoch 3 doubled")
    assert [c[0] for c in _codes(run_copy)] == ["PV512"]
    _edit_json(status, status="EARLY_STOP", exit_code=0, epochs_completed=2)
    # Two epochs claimed, three present: only the minimum-epochs rule fires.
    assert [c[0] for c in _codes(run_copy)] == ["PV513"]
    status.unlink()
    assert [c[0] for c in _codes(run_copy)] == ["PV512"]


def test_contract_without_thresholds_is_reported(tmp_path):
    text = CONTRACT.read_text(encoding="utf-8")
    start = text.index("placeholder_fingerprint:\n")
    end = text.index("\n\n", start)
    spec, findings = _spec(text[:start] + text[end + 2:], tmp_path)
    assert spec is None
    assert {f.code for f in findings} == {"PV514"}
    assert any("placeholder_fingerprint" in f.message for f in findings)
    bad = text.replace('epoch_n_val_loss_cap: "2·previous_val_loss"', 'epoch_n_val_loss_cap: "__import__(1)"')
    spec, findings = _spec(bad, tmp_path)
    assert spec is None and findings[0].code == "PV514" and findings[0].line > 1
    escaping = text.replace('path_template: "{run_dir}/ckpt/epoch-{epoch:03d}.pt"',
                            'path_template: "{run_dir}/../{epoch.__class__}.pt"')
    spec, findings = _spec(escaping, tmp_path)
    assert spec is None and findings[0].code == "PV514"


def test_cli_errors(tmp_path):
    missing = CliRunner().invoke(cli, ["check-run", str(CONTRACT), str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    no_contract = CliRunner().invoke(cli, ["check-run", str(tmp_path / "none.yaml"), str(tmp_path)])
    assert no_contract.exit_code == 2 and "does not exist" in no_contract.output
    empty = CliRunner().invoke(cli, ["check-run", str(CONTRACT), str(tmp_path)])
    assert empty.exit_code == 1 and "PV501" in empty.output and "metrics.jsonl is missing" in empty.output
    broken = tmp_path / "broken-v1.yaml"
    broken.write_text("contract_id: [unclosed\n", encoding="utf-8")
    bad_yaml = CliRunner().invoke(cli, ["check-run", str(broken), str(tmp_path)])
    assert bad_yaml.exit_code == 1 and "PV001" in bad_yaml.output
    assert "Traceback" not in missing.output + no_contract.output + empty.output + bad_yaml.output


def test_plot(good_run, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "curve.png"
    result = CliRunner().invoke(cli, ["check-run", str(CONTRACT), str(good_run), "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size < 200_000



def test_plot_to_an_unwritable_path_is_a_usage_error(good_run, tmp_path):
    pytest.importorskip("matplotlib")
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check-run", str(CONTRACT), str(good_run), "--plot", str(blocker / "c.png")])
    assert result.exit_code == 2 and "cannot write the loss curve" in result.output, result.output

def test_caps_from_formulas_must_agree_with_training_regime(run_copy, tmp_path):
    text = CONTRACT.read_text(encoding="utf-8")
    if "epoch_zero_cap_from_scratch:" not in text:
        pytest.skip("the contract has no formulas block")
    spec, findings = _spec(text, tmp_path)
    assert findings == [] and spec.epoch_zero_caps["from_scratch"] == "2·ln(vocab_size)"
    # The formulas block and training_regime disagree: the contract contradicts itself.
    start = text.index("    epoch_zero_cap_from_scratch:")
    line_start = text.index('formula: "2·ln(vocab_size)"', start)
    contradicting = text[:line_start] + 'formula: "3·ln(vocab_size)"' + text[line_start + 27:]
    spec, findings = _spec(contradicting, tmp_path)
    assert spec is None and [f.code for f in findings] == ["PV514"]
    assert "differs from training_regime" in findings[0].message


def test_metadata_must_summarise_its_step_records(run_copy):
    _edit_step(run_copy, 3, lambda r: r.update(train_loss=r["train_loss"] + 0.5))  # epoch 1
    _edit_json(run_copy / "ckpt" / "epoch-003.metadata.json", grad_norm_max=123.0)
    codes = _codes(run_copy)
    assert [(c[0], c[1]) for c in codes] == [("PV516", "epoch-001.metadata.json"),
                                             ("PV516", "epoch-003.metadata.json")]


def test_json_python_cannot_hold_is_a_finding_not_a_traceback(run_copy):
    # A 5000-digit integer trips Python's int-string limit and deep nesting its recursion limit:
    # both are ValueError/RecursionError, not JSONDecodeError.
    path = run_copy / "metrics.jsonl"
    lines = path.read_text().splitlines()
    lines[2] = '{"step": 1' + "9" * 5000 + "}"
    lines[3] = "[" * 100_000 + "]" * 100_000
    path.write_text("\n".join(lines) + "\n")
    (run_copy / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    meta = run_copy / "ckpt" / "epoch-001.metadata.json"
    meta.write_text(meta.read_text().replace('"epoch": 1', '"epoch": 1' + "9" * 5000, 1))
    codes = _codes(run_copy)
    assert ("PV502", "metrics.jsonl", 3) in codes and ("PV502", "metrics.jsonl", 4) in codes
    assert ("PV515", "config.json", 1) in codes and ("PV507", "epoch-001.metadata.json", 1) in codes
    result = CliRunner().invoke(cli, ["check-run", str(CONTRACT), str(run_copy)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output  # not a crash


def test_boundaries_are_inclusive(run_copy):
    """The contract's limits are ≤ and ≥: a loss of exactly twice the previous epoch's passes, and an
    early stop after exactly min_epochs_before_early_stop epochs is allowed."""
    previous = json.loads((run_copy / "ckpt" / "epoch-002.metadata.json").read_text())["val_loss"]
    _edit_json(run_copy / "ckpt" / "epoch-003.metadata.json", val_loss=2 * previous)
    _edit_json(run_copy / "status.json", status="EARLY_STOP", exit_code=0, epochs_completed=3)
    assert _codes(run_copy) == []
    _edit_json(run_copy / "ckpt" / "epoch-003.metadata.json", val_loss=math.nextafter(2 * previous, math.inf))
    assert [c[0] for c in _codes(run_copy)] == ["PV509"]


def test_fifo_or_directory_in_place_of_a_json_file_does_not_hang(run_copy):
    import os

    (run_copy / "config.json").unlink()
    os.mkfifo(run_copy / "config.json")  # reading it blocked check-run forever
    (run_copy / "status.json").unlink()
    (run_copy / "status.json").mkdir()
    codes = _codes(run_copy)
    assert ("PV515", "config.json", 1) in codes and ("PV515", "status.json", 1) in codes


def test_an_over_long_metrics_line_is_skipped_not_held(run_copy):
    from pv.runcheck.check import MAX_LINE_BYTES

    path = run_copy / "metrics.jsonl"
    lines = path.read_text().splitlines()
    lines[2] = '{"pad": "' + "x" * (MAX_LINE_BYTES + 10) + '"}'  # a 1 GB line was read whole into memory
    path.write_text("\n".join(lines) + "\n")
    codes = _codes(run_copy)
    assert ("PV502", "metrics.jsonl", 3) in codes
    assert ("PV502", "metrics.jsonl", 4) not in codes  # the next line is read from its start


def test_an_oversized_json_file_is_not_read(run_copy, monkeypatch):
    from pv.runcheck import check

    monkeypatch.setattr(check, "MAX_JSON_BYTES", 64)  # the real cap is 16 MiB; config.json is ~600 bytes
    codes = _codes(run_copy)
    assert ("PV515", "config.json", 1) in codes


@pytest.mark.contract("GATE-TRAIN-005")
def test_check_run_applies_the_cap_at_every_epoch(run_copy):
    """Issue 12's trace written into a real run: 6.86 then 11.94, each less than 2× the one before."""
    for epoch, loss in ((1, 6.86), (2, 11.94), (3, 11.5)):
        _edit_json(run_copy / "ckpt" / f"epoch-{epoch:03d}.metadata.json", val_loss=loss)
    codes = _codes(run_copy)
    # Both breaches are found, and the COMPLETED status of a run that never beat its start (≈ 5.5) too.
    assert [(c[0], c[1]) for c in codes] == [("PV509", "epoch-002.metadata.json"),
                                             ("PV509", "epoch-003.metadata.json"), ("PV518", "status.json")]
    spec = _spec()[0]
    message = next(f.message for f in check_run(spec, run_copy) if "epoch-002" in f.file)
    assert "which holds at every epoch" in message


@pytest.mark.contract("GATE-TRAIN-014")
def test_epoch_zero_record_is_required_and_judged(run_copy):
    initial = run_copy / "initial-eval.json"
    data = json.loads(initial.read_text())
    assert data["epoch"] == 0 and data["step"] == 0
    _edit_json(initial, val_loss=11.2)  # above 2·ln 256 = 11.09: the cold start itself breaks the cap
    assert ("PV509", "initial-eval.json") in [(c[0], c[1]) for c in _codes(run_copy)]
    _edit_json(initial, val_loss="low")
    assert ("PV517", "initial-eval.json") in [(c[0], c[1]) for c in _codes(run_copy)]
    initial.unlink()
    assert [(c[0], c[1]) for c in _codes(run_copy)] == [("PV517", "initial-eval.json")]


@pytest.mark.contract("GATE-TRAIN-015")
def test_success_without_improvement_is_refused(run_copy):
    start = json.loads((run_copy / "initial-eval.json").read_text())["val_loss"]
    for epoch, delta in ((1, 0.5), (2, 0.3), (3, 0.0)):  # every epoch at or above the start, under every cap
        _edit_json(run_copy / "ckpt" / f"epoch-{epoch:03d}.metadata.json", val_loss=start + delta)
    codes = _codes(run_copy)
    assert [c[:2] for c in codes] == [("PV518", "status.json")], codes
    _edit_json(run_copy / "ckpt" / "epoch-003.metadata.json", val_loss=start - 0.01)
    assert _codes(run_copy) == []
