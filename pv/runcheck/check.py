"""The post-hoc run checks: a run directory against the contract's RunSpec."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pv.core.findings import Finding
from pv.core.rules import get as get_rule
from pv.runcheck.expr import ExprError
from pv.runcheck.spec import RunSpec, expand_template

_MAX_PER_RULE = 20  # per file; a broken loop would otherwise produce one finding per step
_OK_STATUSES = ("COMPLETED", "EARLY_STOP")


class _Out:
    """Collects findings about run files, capping repeats of one rule in one file."""

    def __init__(self, show: Any) -> None:
        self.show = show  # Path -> display name
        self.findings: list[Finding] = []
        self._counts: dict[tuple[str, str], int] = {}

    def add(self, path: Path, code: str, message: str, *, line: int = 1, col: int = 1,
            hint: str | None = None, where: str = "") -> None:
        file = self.show(path)
        key = (file, code)
        self._counts[key] = self._counts.get(key, 0) + 1
        if self._counts[key] > _MAX_PER_RULE:
            return
        rule = get_rule(code)
        self.findings.append(Finding(file, line, col, code, rule.severity, message, where, hint))

    def finish(self) -> list[Finding]:
        for (file, code), count in self._counts.items():
            if count > _MAX_PER_RULE:
                rule = get_rule(code)
                self.findings.append(Finding(file, 1, 1, code, rule.severity,
                                             f"... and {count - _MAX_PER_RULE} more {code} finding(s) in this file"))
        return sorted(self.findings)


MAX_LINE_BYTES = 1 << 20  # a step record is a few hundred bytes
MAX_JSON_BYTES = 16 << 20  # config, status and metadata files: a few KB


def _at(text: str, key: str) -> dict[str, int]:
    """line= and col= of the first `"key"` in a JSON text (1, 1 when absent)."""
    index = text.find(f'"{key}"')
    if index < 0:
        return {"line": 1, "col": 1}
    return {"line": text.count("\n", 0, index) + 1, "col": index - text.rfind("\n", 0, index)}


def _read_json(path: Path, out: _Out, code: str) -> tuple[Any, str] | None:
    try:
        if not path.is_file():  # a FIFO would block the read forever, a directory cannot be read
            out.add(path, code, f"cannot read {path.name}: not a regular file")
            return None
        if path.stat().st_size > MAX_JSON_BYTES:  # these files are a few hundred bytes
            out.add(path, code, f"{path.name} is over {MAX_JSON_BYTES} bytes; not read")
            return None
        text = path.read_text(encoding="utf-8")
        return json.loads(text), text
    except (OSError, UnicodeDecodeError) as exc:
        out.add(path, code, f"cannot read {path.name}: {exc}")
    except json.JSONDecodeError as exc:
        out.add(path, code, f"{path.name} is not valid JSON: {exc.msg}", line=exc.lineno, col=exc.colno)
    except (ValueError, RecursionError) as exc:  # a 5000-digit integer, [[[[…]]]] nested past the stack
        out.add(path, code, f"{path.name} is not usable JSON: {type(exc).__name__}: {str(exc)[:120]}")
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_run(spec: RunSpec, run_dir: Path, show: Any = str) -> list[Finding]:
    """Every finding about `run_dir`; `show(path)` gives the name shown in reports."""
    out = _Out(show)
    metrics = run_dir / "metrics.jsonl"
    if not run_dir.is_dir():
        out.add(run_dir, "PV501", f"run directory {run_dir} does not exist")
        return out.finish()
    steps: dict[int, tuple[float, float]] = {}
    if not metrics.is_file():
        out.add(metrics, "PV501", "metrics.jsonl is missing: no step was recorded")
    else:
        steps = _check_steps(spec, metrics, out)
    config = _read_json(run_dir / "config.json", out, "PV515") if (run_dir / "config.json").exists() else None
    status = _read_json(run_dir / "status.json", out, "PV515") if (run_dir / "status.json").exists() else None
    config_data = config[0] if config and isinstance(config[0], dict) else {}
    status_data = status[0] if status and isinstance(status[0], dict) else {}
    regime = _regime(run_dir, config_data, status_data, out)
    epochs_completed = status_data.get("epochs_completed")
    keep_last = config_data.get("keep_last")
    pruning = isinstance(keep_last, int) and not isinstance(keep_last, bool) and keep_last > 0
    history = _check_epochs(spec, run_dir, epochs_completed if isinstance(epochs_completed, int) else 0, out,
                            pruning=pruning)
    initial = _check_initial_eval(spec, run_dir, out)
    if initial is not None:
        history.insert(0, initial)
    if regime is not None:
        _check_divergence(spec, regime, history, out)
    _check_placeholder(spec, history, out)
    per_epoch = config_data.get("steps_per_epoch")
    if isinstance(per_epoch, int) and not isinstance(per_epoch, bool) and per_epoch > 0:
        _check_agreement(spec, history, steps, per_epoch, out)
    _check_improvement(spec, run_dir, history, status, out)
    if config_data.get("synthetic") is True or status_data.get("compute") == "synthetic":
        out.add(run_dir / ("config.json" if config_data else "status.json"), "PV511",
                "the run used --synthetic: its losses are scripted, not computed",
                **(_at(config[1], "synthetic") if config else {}))
    _check_status(spec, run_dir, status, out)
    return out.finish()


def _lines(handle: Any) -> Any:
    """The file's lines, each read with a cap: None stands for a line over MAX_LINE_BYTES (skipped)."""
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of it without holding it
                raw = handle.readline(MAX_LINE_BYTES)
            yield None
            continue
        yield raw


def _check_steps(spec: RunSpec, metrics: Path, out: _Out) -> dict[int, tuple[float, float]]:
    """Check every record; return {step: (train_loss, grad_norm)} of the valid ones."""
    valid: dict[int, tuple[float, float]] = {}
    expected = 0
    placeholder_run = 0
    with open(metrics, "rb") as handle:
        for number, raw in enumerate(_lines(handle), start=1):
            if raw is None:
                out.add(metrics, "PV502", f"the line is over {MAX_LINE_BYTES} bytes; a step record is a few "
                        "hundred", line=number)
                expected += 1
                continue
            if not raw.endswith(b"\n"):
                out.add(metrics, "PV502", "the last line is incomplete (the run was killed mid-write)",
                        line=number)
                break
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError) as exc:  # also a 5000-digit integer, [[[[…]]]] past the stack
                out.add(metrics, "PV502", f"not JSON: {str(exc)[:160]}", line=number)
                expected += 1
                continue
            if not isinstance(record, dict):
                out.add(metrics, "PV502", f"a step record must be a JSON object, not {type(record).__name__}",
                        line=number)
                expected += 1
                continue
            for f in spec.step_fields + spec.optional_step_fields:
                if f.name not in record:
                    if f in spec.step_fields:
                        out.add(metrics, "PV503", f"step record lacks `{f.name}`", line=number, where=f.name)
                    continue
                problem = _value_problem(record[f.name], f.type, f.minimum, f.maximum)
                if problem:
                    out.add(metrics, "PV504", f"`{f.name}` {problem}", line=number, where=f.name)
            step = record.get("step")
            loss, norm = record.get("train_loss"), record.get("grad_norm")
            if isinstance(step, int) and _is_number(loss) and _is_number(norm):
                valid[step] = (float(loss), float(norm))
            if _is_number(step) and step != expected:
                out.add(metrics, "PV505", f"step {step} where step {expected} was expected", line=number)
            if _is_number(step):
                expected = int(step) + 1
            else:
                expected += 1
            loss = record.get("train_loss")
            placeholder_run = placeholder_run + 1 if loss == spec.placeholder_loss else 0
            if placeholder_run == 10:
                out.add(metrics, "PV510", f"ten consecutive steps report train_loss exactly "
                        f"{spec.placeholder_loss:g}", line=number)
    return valid


def _value_problem(value: Any, ftype: str, minimum: float | None, maximum: float | None) -> str | None:
    if not _is_number(value):
        return f"is {json.dumps(value)}, not a number"
    if ftype == "int" and not isinstance(value, int):
        return f"is {value!r}, not an integer"
    if not math.isfinite(value):
        return f"is {value}, not finite"
    if minimum is not None and value < minimum:
        return f"is {value!r}, below its minimum {minimum:g}"
    if maximum is not None and value > maximum:
        return f"is {value!r}, above its maximum {maximum:g}"
    return None


def _regime(run_dir: Path, config: dict, status: dict, out: _Out) -> dict | None:
    from pv.reference.regime import TrainingRegime  # pure Python, no torch

    raw = config.get("regime", status.get("regime"))
    source = run_dir / ("config.json" if "regime" in config else "status.json")
    if raw is None:
        out.add(source, "PV515", "the run records no training regime, so no divergence cap applies",
                hint="the loop writes `regime` into config.json")
        return None
    try:
        regime = TrainingRegime.from_dict(raw)
    except ValueError as exc:
        out.add(source, "PV515", f"bad regime: {exc}")
        return None
    return {"kind": regime.kind, "vocab_size": regime.vocab_size, "file": source}


def _epochs_present(spec: RunSpec, run_dir: Path) -> Iterator[int]:
    epoch = spec.first_epoch
    while epoch < 100_000:
        ckpt = expand_template(spec.checkpoint_template, run_dir, epoch)
        meta = expand_template(spec.metadata_template, run_dir, epoch)
        if not ckpt.exists() and not meta.exists():
            return
        yield epoch
        epoch += 1


def _check_initial_eval(spec: RunSpec, run_dir: Path, out: _Out) -> dict | None:
    """The epoch-0 evaluation (before the first update), as a history item; None when not recorded."""
    if spec.initial_eval_template is None:
        return None
    path = expand_template(spec.initial_eval_template, run_dir, 0)
    if not path.exists():
        out.add(path, "PV517", f"{path.name} is missing: the run recorded no epoch-0 validation loss, so its "
                "start cannot be checked against the regime's cap")
        return None
    loaded = _read_json(path, out, "PV517")
    if loaded is None:
        return None
    data, text = loaded
    if not isinstance(data, dict):
        out.add(path, "PV517", f"{path.name} must be a JSON object")
        return None
    for name in spec.initial_eval_fields:
        if name not in data:
            out.add(path, "PV517", f"{path.name} lacks `{name}`", where=name)
            return None
        if not _is_number(data[name]) or not math.isfinite(data[name]):
            out.add(path, "PV517", f"`{name}` is {json.dumps(data[name])}, not a finite number", **_at(text, name))
            return None
    if data.get("epoch", 0) != 0 or data.get("step", 0) != 0:
        out.add(path, "PV517", "the epoch-0 evaluation must be taken at epoch 0, step 0, before any update",
                **_at(text, "step"))
    return {"epoch": 0, "val_loss": data.get("val_loss"), "file": path, "text": text}


def _check_epochs(spec: RunSpec, run_dir: Path, completed: int, out: _Out, *, pruning: bool = False) -> list[dict]:
    """Check every epoch's pair; return [{epoch, val_loss, train_loss, wall_seconds, file, text}].

    With --keep-last (`pruning`), an epoch's checkpoint may have been deleted; its metadata may not.
    """
    from pv.reference.artifacts import OPTIMIZER_MEMBER, read_checkpoint, sha256

    present = list(_epochs_present(spec, run_dir))
    history: list[dict] = []
    first = spec.first_epoch
    for epoch in range(first, first + max(completed, len(present))):
        ckpt = expand_template(spec.checkpoint_template, run_dir, epoch)
        meta = expand_template(spec.metadata_template, run_dir, epoch)
        for path, what in ((ckpt, "checkpoint"), (meta, "metadata")):
            if not path.is_file() and not (pruning and path == ckpt and meta.is_file()):
                out.add(path, "PV506", f"epoch {epoch} has no {what} file {path.name}")
        if not meta.is_file():
            continue
        loaded = _read_json(meta, out, "PV507")
        if loaded is None:
            continue
        data, text = loaded
        if not isinstance(data, dict):
            out.add(meta, "PV507", "metadata must be a JSON object")
            continue
        complete = True
        for name in spec.metadata_fields:
            if name not in data:
                out.add(meta, "PV507", f"metadata lacks `{name}`", where=name)
                complete = False
            elif name != "optimizer_state_sha" and (not _is_number(data[name]) or not math.isfinite(data[name])):
                out.add(meta, "PV507", f"`{name}` is {json.dumps(data[name])}, not a finite number",
                        **_at(text, name), where=name)
                complete = False
        if data.get("epoch") != epoch and "epoch" in data:
            out.add(meta, "PV507", f"metadata says epoch {data.get('epoch')!r} but the file is epoch {epoch}",
                    **_at(text, "epoch"))
        sha = data.get("optimizer_state_sha")
        if "optimizer_state_sha" in spec.metadata_fields and sha is not None and ckpt.is_file():
            try:
                members = read_checkpoint(ckpt)
                actual = sha256(members[OPTIMIZER_MEMBER]) if OPTIMIZER_MEMBER in members else None
            except ValueError as exc:
                out.add(ckpt, "PV508", f"cannot read the checkpoint to verify its optimizer state: {exc}")
            else:
                if actual is None:
                    out.add(ckpt, "PV508", f"the checkpoint has no {OPTIMIZER_MEMBER} member")
                elif actual != sha:
                    out.add(meta, "PV508", f"optimizer_state_sha {str(sha)[:12]}… but the checkpoint's optimizer "
                            f"state hashes to {actual[:12]}…", **_at(text, "optimizer_state_sha"))
        if complete:
            history.append({"epoch": epoch, "val_loss": data.get("val_loss"), "train_loss": data.get("train_loss"),
                            "grad_norm_max": data.get("grad_norm_max"),
                            "wall_seconds": data.get("wall_seconds"), "file": meta, "text": text})
    return history


def _check_divergence(spec: RunSpec, regime: dict, history: list[dict], out: _Out) -> None:
    if regime["kind"] not in spec.epoch_zero_caps:
        out.add(regime["file"], "PV515", f"the contract defines no cap for regime kind {regime['kind']!r}")
        return
    previous: dict | None = None
    for item in history:
        loss = item.get("val_loss")
        if not _is_number(loss):
            previous = None
            continue
        try:
            if item["epoch"] == 0:
                limit = spec.epoch_zero_cap(regime["kind"], regime["vocab_size"])
                rule = f"the {regime['kind']} epoch-0 cap {spec.epoch_zero_caps[regime['kind']]}"
            else:
                limit, rule = math.inf, ""
                if previous is not None and previous["epoch"] == item["epoch"] - 1:
                    limit = spec.epoch_n_limit(previous["val_loss"])
                    rule = f"{spec.epoch_n_cap} with previous_val_loss {previous['val_loss']:.4f}"
                if spec.cap_every_epoch:
                    cap = spec.epoch_zero_cap(regime["kind"], regime["vocab_size"])
                    if cap < limit:
                        limit, rule = cap, (f"the {regime['kind']} cap {spec.epoch_zero_caps[regime['kind']]}, "
                                            "which holds at every epoch")
                if not rule:
                    previous = item
                    continue
        except ExprError as exc:
            out.add(regime["file"], "PV515", f"cannot evaluate the cap for this run: {exc}")
            return
        if not (loss <= limit):
            out.add(item["file"], "PV509", f"epoch {item['epoch']} val_loss {loss:.4f} exceeds {rule} = {limit:.4f}",
                    **_at(item["text"], "val_loss"))
        previous = item


def _check_placeholder(spec: RunSpec, history: list[dict], out: _Out) -> None:
    for item in history:
        wall = item.get("wall_seconds")
        if (item.get("train_loss") == spec.placeholder_loss and item.get("val_loss") == spec.placeholder_loss
                and _is_number(wall) and wall < spec.placeholder_max_wall_seconds):
            out.add(item["file"], "PV510", f"epoch {item['epoch']} reports train and val loss exactly "
                    f"{spec.placeholder_loss:g} after {wall:.3f} s", **_at(item["text"], "val_loss"))


def _check_status(spec: RunSpec, run_dir: Path, status: tuple[Any, str] | None, out: _Out) -> None:
    path = run_dir / "status.json"
    if status is None:
        if not path.exists():
            out.add(path, "PV512", "no status.json: the run is still going or was killed")
        return
    data, text = status
    if not isinstance(data, dict):
        out.add(path, "PV515", "status.json must be a JSON object")
        return
    value = data.get("status")
    if value not in _OK_STATUSES:
        out.add(path, "PV512", f"the run ended with {value}: {data.get('message', '')}",
                **_at(text, "status"))
    done = data.get("epochs_completed")
    if value == "EARLY_STOP" and isinstance(done, int) and done < spec.min_epochs_before_early_stop:
        out.add(path, "PV513", f"early stop after {done} epoch(s); the contract requires at least "
                f"{spec.min_epochs_before_early_stop}", **_at(text, "epochs_completed"))


def _check_improvement(spec: RunSpec, run_dir: Path, history: list[dict], status: tuple[Any, str] | None,
                       out: _Out) -> None:
    """A run that reports success must have beaten its epoch-0 loss (INV-TRAIN-015)."""
    if not spec.success_requires_improvement or status is None or not isinstance(status[0], dict):
        return
    data, text = status
    if data.get("status") not in _OK_STATUSES or not history or history[0]["epoch"] != 0:
        return
    start = history[0]["val_loss"]
    later = [item["val_loss"] for item in history[1:] if _is_number(item.get("val_loss"))]
    if not later:
        out.add(run_dir / "status.json", "PV518", f"the run reports {data.get('status')} without one trained "
                "epoch to compare with epoch 0", **_at(text, "status"))
        return
    best = min(later)
    if not best < start:
        out.add(run_dir / "status.json", "PV518", f"the run reports {data.get('status')} but its best validation "
                f"loss {best:.4f} is not below the epoch-0 loss {start:.4f}: it got no better",
                **_at(text, "status"))


def _check_agreement(spec: RunSpec, history: list[dict], steps: dict[int, tuple[float, float]], per_epoch: int,
                     out: _Out) -> None:
    """Each epoch's train_loss and grad_norm_max must summarise that epoch's step records."""
    for item in history:
        if "train_loss" not in item:
            continue  # epoch 0: no steps
        first = (item["epoch"] - spec.first_epoch) * per_epoch
        window = [steps.get(s) for s in range(first, first + per_epoch)]
        if any(w is None for w in window):
            continue  # missing records are reported by the step checks already
        mean_loss = sum(w[0] for w in window) / per_epoch  # type: ignore[index]
        max_norm = max(w[1] for w in window)  # type: ignore[index]
        for name, expected in (("train_loss", mean_loss), ("grad_norm_max", max_norm)):
            value = item.get(name)
            if _is_number(value) and not math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-9):
                out.add(item["file"], "PV516", f"epoch {item['epoch']} {name} is {value!r} but its step records "
                        f"(steps {first}..{first + per_epoch - 1}) give {expected!r}", **_at(item["text"], name))
