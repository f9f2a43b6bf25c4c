"""What `pv check-run` needs from the contract, read (and located) from the Document.

check-run has no thresholds of its own: every field list, cap and limit
comes from here, and a contract lacking one gets a PV514 finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pv.core.document import Document
from pv.core.findings import Finding
from pv.runcheck.expr import ExprError, evaluate

_TEMPLATE_FIELD = re.compile(r"\{(run_dir|epoch)(?::0(\d)d)?\}")


@dataclass
class StepField:
    name: str
    type: str  # "int" or "float"
    minimum: float | None = None
    maximum: float | None = None


@dataclass
class RunSpec:
    step_fields: list[StepField]
    metadata_fields: list[str]
    checkpoint_template: str
    metadata_template: str
    epoch_zero_caps: dict[str, str]  # regime kind -> expression in vocab_size
    epoch_n_cap: str  # expression in previous_val_loss
    min_epochs_before_early_stop: int
    placeholder_loss: float
    placeholder_max_wall_seconds: float
    paths: dict[str, tuple] = field(default_factory=dict)  # what -> YAML path, for located findings
    # v1.6.0: epoch 0 is measured before the first update and recorded in its own file; epoch
    # checkpoints start at first_epoch; the regime's cap holds at every epoch; success needs improvement.
    initial_eval_template: str | None = None
    initial_eval_fields: list[str] = field(default_factory=list)
    first_epoch: int = 0
    cap_every_epoch: bool = False
    success_requires_improvement: bool = False
    optional_step_fields: list[StepField] = field(default_factory=list)

    def epoch_zero_cap(self, kind: str, vocab_size: int | None) -> float:
        names = {} if vocab_size is None else {"vocab_size": float(vocab_size)}
        return evaluate(self.epoch_zero_caps[kind], names)

    def epoch_n_limit(self, previous: float) -> float:
        return evaluate(self.epoch_n_cap, {"previous_val_loss": previous})


def expand_template(template: str, run_dir: Path, epoch: int) -> Path:
    """Substitute {run_dir} and {epoch[:0Nd]} only (str.format on contract text could reach attributes)."""
    def sub(m: re.Match[str]) -> str:
        if m.group(1) == "run_dir":
            return "\0RUN\0"
        width = int(m.group(2) or 0)
        return f"{epoch:0{width}d}"
    text = _TEMPLATE_FIELD.sub(sub, template)
    if not text.startswith("\0RUN\0/") or "{" in text or "}" in text or "\0RUN\0" in text[5:]:
        raise ValueError(f"template {template!r} must start with {{run_dir}}/ and use only {{epoch}}")
    relative = Path(text[len("\0RUN\0/"):])
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"template {template!r} leaves the run directory")
    return run_dir / relative


def read_spec(doc: Document) -> tuple[RunSpec | None, list[Finding]]:
    findings: list[Finding] = []

    def need(path: tuple, kind: type | tuple[type, ...], what: str):
        value = doc.get(path)
        if isinstance(value, bool) or not isinstance(value, kind):
            findings.append(doc.finding(path, "PV514", f"check-run needs {what} at `{'.'.join(map(str, path))}`",
                                        hint="add it to the contract; check-run has no defaults"))
            return None
        return value

    def step_fields(block: str, items: list | None) -> list[StepField]:
        fields: list[StepField] = []
        for i, item in enumerate(items or []):
            name = need(("per_step_metrics", block, i, "name"), str, "a field name")
            ftype = need(("per_step_metrics", block, i, "type"), str, "a field type (int or float)")
            if name is None or ftype is None:
                continue
            if ftype not in ("int", "float"):
                findings.append(doc.finding(("per_step_metrics", block, i, "type"), "PV514",
                                            f"field type {ftype!r} is not int or float"))
                continue
            bounds = []
            for key in ("minimum", "maximum"):
                value = item.get(key) if isinstance(item, dict) else None
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                    findings.append(doc.finding(("per_step_metrics", block, i, key), "PV514",
                                                f"{key} of {name} must be a number"))
                    value = None
                bounds.append(value)
            fields.append(StepField(name, ftype, *bounds))
        return fields

    steps = step_fields("required", need(("per_step_metrics", "required"), list, "the list of per-step fields"))
    optional_items = doc.get(("per_step_metrics", "optional"))
    optional = step_fields("optional", optional_items if isinstance(optional_items, list) else None)

    meta_fields = need(("per_epoch_artifacts", "metadata_json", "required_fields"), list,
                       "the metadata field list")
    if meta_fields is not None and not all(isinstance(f, str) for f in meta_fields):
        findings.append(doc.finding(("per_epoch_artifacts", "metadata_json", "required_fields"), "PV514",
                                    "metadata fields must be strings"))
        meta_fields = None
    ckpt_t = need(("per_epoch_artifacts", "checkpoint", "path_template"), str, "the checkpoint path template")
    meta_t = need(("per_epoch_artifacts", "metadata_json", "path_template"), str, "the metadata path template")
    for path, template in ((("per_epoch_artifacts", "checkpoint", "path_template"), ckpt_t),
                           (("per_epoch_artifacts", "metadata_json", "path_template"), meta_t)):
        if template is not None:
            try:
                expand_template(template, Path("run"), 0)
            except ValueError as exc:
                findings.append(doc.finding(path, "PV514", str(exc)))

    caps: dict[str, str] = {}
    kinds = need(("training_regime", "kinds"), list, "the regime kinds with their epoch-0 caps")
    for i, _ in enumerate(kinds or []):
        kind = need(("training_regime", "kinds", i, "kind"), str, "a regime kind")
        cap = need(("training_regime", "kinds", i, "epoch_zero_val_loss_cap"), (str, int, float),
                   "the epoch-0 validation-loss cap")
        if kind is not None and cap is not None:
            caps[kind] = str(cap)
            _try_expr(doc, ("training_regime", "kinds", i, "epoch_zero_val_loss_cap"), str(cap),
                      {"vocab_size": 50257.0}, findings)
    _prefer_formulas(doc, caps, findings)
    growth = need(("training_regime", "epoch_n_val_loss_cap"), (str, int, float),
                  "the cap for epochs N >= 1 (an expression in previous_val_loss)")
    if growth is not None:
        _try_expr(doc, ("training_regime", "epoch_n_val_loss_cap"), str(growth), {"previous_val_loss": 1.0},
                  findings)
    min_epochs = need(("convergence", "min_epochs_before_early_stop"), int, "the minimum epochs before early stop")
    p_loss = need(("placeholder_fingerprint", "loss_value"), (int, float), "the placeholder loss value")
    p_wall = need(("placeholder_fingerprint", "max_epoch_wall_seconds"), (int, float),
                  "the wall-time bound of a placeholder epoch")
    initial_t = doc.get(("per_epoch_artifacts", "initial_eval", "path_template"))
    initial_fields = doc.get(("per_epoch_artifacts", "initial_eval", "required_fields"))
    if initial_t is not None:
        initial_t = need(("per_epoch_artifacts", "initial_eval", "path_template"), str,
                         "the path template of the epoch-0 evaluation")
        initial_fields = need(("per_epoch_artifacts", "initial_eval", "required_fields"), list,
                              "the fields of the epoch-0 evaluation")
        if initial_t is not None:
            try:
                expand_template(initial_t, Path("run"), 0)
            except ValueError as exc:
                findings.append(doc.finding(("per_epoch_artifacts", "initial_eval", "path_template"), "PV514",
                                            str(exc)))
    first_epoch = doc.get(("per_epoch_artifacts", "checkpoint", "first_epoch"))
    if first_epoch is not None:
        first_epoch = need(("per_epoch_artifacts", "checkpoint", "first_epoch"), int,
                           "the number of the first epoch with a checkpoint (0 or 1)")
    every = doc.get(("training_regime", "regime_cap_at_every_epoch"))
    improve = doc.get(("convergence", "success_requires_improvement"))
    for path, value in ((("training_regime", "regime_cap_at_every_epoch"), every),
                        (("convergence", "success_requires_improvement"), improve)):
        if value is not None and not isinstance(value, bool):
            findings.append(doc.finding(path, "PV514", f"`{'.'.join(path)}` must be true or false"))
    if findings:
        return None, findings
    return RunSpec(steps, list(meta_fields), ckpt_t, meta_t, caps, str(growth), min_epochs,  # type: ignore[arg-type]
                   float(p_loss), float(p_wall), initial_eval_template=initial_t,
                   initial_eval_fields=[str(f) for f in initial_fields or []], first_epoch=int(first_epoch or 0),
                   cap_every_epoch=every is True, success_requires_improvement=improve is True,
                   optional_step_fields=optional), findings


def _try_expr(doc: Document, path: tuple, text: str, names: dict[str, float], findings: list[Finding]) -> None:
    try:
        evaluate(text, names)
    except ExprError as exc:
        findings.append(doc.finding(path, "PV514", f"cannot evaluate {text!r}: {exc}",
                                    hint="use numbers, vocab_size/previous_val_loss, + - * / ^ and ln()"))


def _prefer_formulas(doc: Document, caps: dict[str, str], findings: list[Finding]) -> None:
    """Use the `formulas` block's epoch_zero_cap_<kind> definitions where they exist.

    Those are the formulas `pv verify` binds to the implementation, so they
    win; where `training_regime` states the same cap differently, the two
    must agree (checked at a few vocabulary sizes) or the contract
    contradicts itself (PV514).
    """
    definitions = doc.get(("formulas", "definitions"))
    if not isinstance(definitions, dict):
        return
    for kind in list(caps):
        path = ("formulas", "definitions", f"epoch_zero_cap_{kind}", "formula")
        formula = doc.get(path)
        if not isinstance(formula, str):
            continue
        try:
            for vocab in (2.0, 149.0, 256.0, 50257.0):
                a = evaluate(formula, {"vocab_size": vocab})
                b = evaluate(caps[kind], {"vocab_size": vocab})
                if abs(a - b) > 1e-9 * max(1.0, abs(a)):
                    findings.append(doc.finding(path, "PV514",
                                                f"the {kind} cap {formula!r} differs from training_regime's "
                                                f"{caps[kind]!r} at vocab_size {vocab:g} ({a:g} vs {b:g})"))
                    break
            else:
                caps[kind] = formula
        except ExprError:
            continue  # a formula outside this evaluator's grammar: keep training_regime's text
