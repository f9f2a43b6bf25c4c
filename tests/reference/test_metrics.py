"""GATE-TRAIN-001 and GATE-TRAIN-008: the per-step metric records of a real run."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torch")
from refhelpers import TINY, read_metrics

from pv.reference.metrics import STEP_FIELDS


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from pv.reference.regime import TrainingRegime
    from pv.reference.train import TrainConfig, run

    directory = tmp_path_factory.mktemp("metrics") / "run"
    result = run(TrainConfig(run_dir=str(directory), regime=TrainingRegime.from_scratch(256), **TINY))
    assert result.status.value == "COMPLETED"
    return directory


@pytest.mark.contract("GATE-TRAIN-001")
def test_every_step_record_has_all_fields(run_dir):
    records = read_metrics(run_dir)
    assert [r["step"] for r in records] == list(range(20)), "one record per optimizer step, in order"
    for record in records:
        for name in STEP_FIELDS:
            assert name in record, f"step {record.get('step')} lacks {name}"
            value = record[name]
            assert isinstance(value, (int, float)) and not isinstance(value, bool)
            assert math.isfinite(value), f"{name}={value} at step {record['step']}"
        assert isinstance(record["step"], int)
        assert record["train_loss"] > 0 and record["grad_norm"] > 0 and record["lr"] > 0


@pytest.mark.contract("GATE-TRAIN-001")
def test_step_fields_match_the_contract():
    from refhelpers import CONTRACT

    from pv.core.loader import load

    doc, findings = load(CONTRACT, CONTRACT.parents[1])
    assert doc is not None, findings
    assert tuple(f["name"] for f in doc.data["per_step_metrics"]["required"]) == STEP_FIELDS


@pytest.mark.contract("GATE-TRAIN-008")
def test_throughput_and_utilisation_in_range(run_dir):
    records = read_metrics(run_dir)
    assert len(records) == 20
    for record in records:
        assert math.isfinite(record["tokens_per_sec"]) and record["tokens_per_sec"] >= 0
        assert 0.0 <= record["device_util_pct"] <= 100.0
    # A CPU that trains is busy: utilisation is a measurement, not a constant.
    assert max(r["device_util_pct"] for r in records) > 10.0
    assert len({r["tokens_per_sec"] for r in records}) > 1


@pytest.mark.contract("GATE-TRAIN-008")
def test_util_meter_is_bounded_on_cpu():
    import time

    import torch

    from pv.reference.metrics import UtilMeter

    meter = UtilMeter(torch.device("cpu"), threads=1)
    meter.start()
    deadline = time.perf_counter() + 0.05
    while time.perf_counter() < deadline:  # busy: close to 100 %
        pass
    wall, busy = meter.stop()
    meter.start()
    time.sleep(0.05)  # idle: close to 0 %
    _, idle = meter.stop()
    assert wall > 0 and 0 <= idle < 10 and 20 < busy <= 100  # loose: other processes share the CPU


@pytest.mark.contract("GATE-TRAIN-008")
def test_util_meter_divides_by_threads_and_clamps(monkeypatch):
    """With scripted clocks: CPU time is shared out over the compute threads, and the result stays in
    [0, 100] when the process burns more CPU than the threads could (other threads, clock skew)."""
    import torch

    from pv.reference import metrics

    class Clocks:
        wall = cpu = 0.0

        def perf_counter(self) -> float:
            return self.wall

        def process_time(self) -> float:
            return self.cpu

    clocks = Clocks()
    monkeypatch.setattr(metrics, "time", clocks)

    def measure(threads: int, wall: float, cpu: float) -> tuple[float, float]:
        meter = metrics.UtilMeter(torch.device("cpu"), threads)
        meter.start()
        clocks.wall += wall
        clocks.cpu += cpu
        return meter.stop()

    assert measure(4, 2.0, 4.0) == (2.0, 50.0)  # 4 CPU-seconds over 4 threads in 2 s: half busy
    assert measure(1, 1.0, 0.25) == (1.0, 25.0)
    assert measure(1, 1.0, 3.0) == (1.0, 100.0)  # more CPU time than one thread has: clamped
    assert measure(2, 0.0, 0.0) == (0.0, 0.0)  # no time passed: 0, not a division by zero
