"""Fault injection for the falsification tests (hidden `--inject-fault` option).

The contract's falsifiers need a real run to hit a NaN, a diverging
validation loss or a crash at a chosen point; this is how tests ask for
one. Spec: `KIND:key=value,...`, for example `nan_loss:step=5,rank=1`,
`val_loss:epoch=0,value=30`, `crash:step=12`, `kill:step=12` (SIGKILL),
`term:step=12` (SIGTERM, as a scheduler preempts), `kill_write:step=12`
(SIGKILL half-way through the first checkpoint written at or after step 12).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("nan_loss", "val_loss", "crash", "kill", "term", "kill_write")


class InjectedCrash(BaseException):
    """Raised by the `crash` fault: a simulated power cut, not an error to handle."""


@dataclass(frozen=True)
class Fault:
    kind: str
    step: int | None = None
    epoch: int | None = None
    value: float | None = None
    rank: int | None = None  # None: every rank

    def applies(self, rank: int) -> bool:
        return self.rank is None or self.rank == rank


def parse_fault(spec: str) -> Fault:
    kind, _, rest = spec.partition(":")
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
    fields: dict[str, object] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in ("step", "epoch", "value", "rank"):
            raise ValueError(f"bad fault field {item!r}; use step=, epoch=, value= or rank=")
        try:
            fields[key] = float(value) if key == "value" else int(value)
        except ValueError:
            raise ValueError(f"fault field {key} needs a number, got {value!r}") from None
    fault = Fault(kind, **fields)  # type: ignore[arg-type]
    if kind == "val_loss" and (fault.epoch is None or fault.value is None):
        raise ValueError("a val_loss fault needs epoch= and value=")
    if kind != "val_loss" and fault.step is None:
        raise ValueError(f"a {kind} fault needs step=")
    return fault
