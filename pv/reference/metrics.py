"""Per-step metric records, the device-utilisation meter and the status line."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from pv.core.atomic import write_bytes_atomic

STEP_FIELDS = ("step", "train_loss", "grad_norm", "lr", "tokens_per_sec", "device_util_pct")


class MetricsWriter:
    """Appends one JSON line per step.

    Each record is a single write of a complete line, flushed, so a crash
    can at worst leave a torn last line, which readers skip and a resume
    rewrites away. (Rewriting the whole file atomically every step would
    cost O(steps) per step.)
    """

    def __init__(self, path: Path, *, resume_from_step: int | None = None) -> None:
        self.path = path
        if resume_from_step is not None and path.exists():
            kept = [line for line in read_records(path) if line["step"] < resume_from_step]
            write_bytes_atomic(path, b"".join(_encode(r) for r in kept))
        self._handle = open(path, "ab", buffering=0)  # noqa: SIM115 - closed in close()

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(_encode(record))

    def close(self) -> None:
        self._handle.close()


def _encode(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n").encode()


def read_records(path: Path) -> list[dict[str, Any]]:
    """The complete records of a metrics file (a torn last line is ignored)."""
    out = []
    with open(path, "rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                break
            out.append(json.loads(raw))
    return out


class UtilMeter:
    """device_util_pct: the share of a step's wall time the device spent computing.

    CPU: process CPU time (all threads) over wall time, divided by the
    number of threads torch computes with, in percent and clamped to
    [0, 100]. 100 means every compute thread was busy for the whole step;
    time blocked on I/O, logging or a collective shows up as less.
    CUDA: time between CUDA events around the step's kernels over wall time.
    """

    def __init__(self, device: Any, threads: int) -> None:
        self.cuda = getattr(device, "type", "cpu") == "cuda"
        self.threads = max(1, threads)
        self._events: tuple[Any, Any] | None = None

    def start(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        if self.cuda:
            import torch
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            self._events = (start, end)

    def stop(self) -> tuple[float, float]:
        """(wall seconds, utilisation in percent) since `start`."""
        if self._events is not None:
            self._events[1].record()
            self._events[1].synchronize()
            busy = self._events[0].elapsed_time(self._events[1]) / 1000.0
            wall = time.perf_counter() - self._wall
        else:
            wall = time.perf_counter() - self._wall
            busy = (time.process_time() - self._cpu) / self.threads
        util = 100.0 * busy / wall if wall > 0 else 0.0
        return wall, min(100.0, max(0.0, util))


class StatusLine:
    """One self-overwriting status line per step on a TTY; silent elsewhere (CI, pipes)."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() and not os.environ.get("CI")
        self.enabled = enabled
        self._last = 0.0

    def step(self, epoch: int, epochs: int, step: int, record: dict[str, Any]) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.1:  # at most 10 redraws a second
            return
        self._last = now
        self.stream.write(f"\repoch {epoch + 1}/{epochs} step {step} loss {record['train_loss']:.4f} "
                          f"lr {record['lr']:.2e} {record['tokens_per_sec']:,.0f} tok/s\x1b[K")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def perplexity(loss: float) -> float:
    """exp(loss), capped so the JSON stays finite for absurd losses."""
    return math.exp(min(loss, 700.0))
