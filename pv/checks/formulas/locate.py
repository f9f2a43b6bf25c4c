"""Where formulas live in a kernel contract, and what each string is (formula, prose, placeholder).

Read: `equations.<name>.formula`, the equation's `domain`, `codomain`,
`invariants`, `preconditions`, `postconditions`; `proof_obligations[].formal`
and `.property`; `falsification_tests[].prediction`. An equation, obligation
or test may carry `prose: true` (all its strings are prose) or
`prose: [field, …]` (those fields are), an explicit opt-out of pv's reading.
No sympy here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pv.core.document import YamlPath

EQUATION_FIELDS = ("formula", "domain", "codomain", "invariants", "preconditions", "postconditions")
# Fields whose whole job is to hold a formula, where a placeholder is this family's finding (PV351);
# an equation's `formula` placeholder is the parity family's PV602, reported once there.
REQUIRED = ("formal",)
OPT_OUT = "prose"

PLACEHOLDERS = frozenset({"", "tbd", "todo", "…", "...", "fixme", "xxx", "?", "??", "???", "-", "—", "–",
                          "n/a", "tba", "placeholder"})
_PLACEHOLDER_START = re.compile(r"^\s*(TBD|TODO|FIXME|XXX)\b")
_STOPWORDS = frozenset("""a an the is are be was were of to in on at by for with from as and or not no
never always all each every any some than then that this these those which when while where whose its it
if via per into onto only also must should may can cannot does do has have had same between within without
after before until under over above below more less most least both either neither such other another
equals equal matches match holds hold produce produces returns return gives give uses use exceeds
exceed""".split())
_MATHS = re.compile(r"[=<>≤≥≠≈∈∉⊆⊂+*/^×·Σ∑∏√|‖⟹⟺→∀∃¬∧∨⌊⌈%²³ⁿ~]|\w\(")
_WORD = re.compile(r"(?<![\w.])[A-Za-z][a-z]+(?![\w(])")


@dataclass(frozen=True)
class Site:
    """One string of a kernel contract that may hold a formula."""

    kind: str  # "formula" | "domain" | "codomain" | "invariant" | "precondition" | "postcondition"
    #            "formal" | "property" | "prediction"
    path: YamlPath
    text: str
    group: str  # the equation's name, or "" (obligations and tests share the contract's bindings)
    opted_out: bool = False


def _opt_out(spec: dict, field: str) -> bool:
    flag = spec.get(OPT_OUT)
    if flag is True:
        return True
    return isinstance(flag, list) and field in flag


def sites(data: Any) -> list[Site]:
    """Every formula-bearing string of a kernel contract, in file order."""
    out: list[Site] = []
    if not isinstance(data, dict):
        return out
    equations = data.get("equations")
    if isinstance(equations, dict):
        for name, spec in equations.items():
            if not isinstance(spec, dict):
                continue
            for field in EQUATION_FIELDS:
                value = spec.get(field)
                kind = field[:-1] if field.endswith("s") and field != "codomain" else field
                if isinstance(value, str):
                    out.append(Site(kind, ("equations", name, field), value, str(name), _opt_out(spec, field)))
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        if isinstance(item, str):
                            out.append(Site(kind, ("equations", name, field, i), item, str(name),
                                            _opt_out(spec, field)))
    for section, fields in (("proof_obligations", ("formal", "property")), ("falsification_tests", ("prediction",))):
        items = data.get(section)
        if not isinstance(items, list):
            continue
        for i, spec in enumerate(items):
            if not isinstance(spec, dict):
                continue
            for field in fields:
                value = spec.get(field)
                if isinstance(value, str):
                    out.append(Site(field, (section, i, field), value, "", _opt_out(spec, field)))
    return out


def is_placeholder(text: str) -> bool:
    stripped = text.strip()
    return stripped.lower() in PLACEHOLDERS or bool(_PLACEHOLDER_START.match(stripped))


def looks_like_prose(text: str) -> bool:
    """Words, not maths: no maths sign at all, or at least two plain English words among the words."""
    if not _MATHS.search(text):
        return True
    words = _WORD.findall(text)
    plain = [w for w in words if w.lower() in _STOPWORDS]
    return len(plain) >= 2 or (len(words) >= 4 and len(plain) >= 1)


_CODE = re.compile(r"\.\w+\(|\(\|[&\w]*\||\b(?:Result|Option|Vec|Map|HashMap|Box|Arc)<|:=|\w::\w+(?:\(|::)|`")


def looks_like_code(text: str) -> bool:
    """Source code, not maths: method chains `x.iter().all(|v| …)`, types `Result<V>`, `:=`, `Enum::Variant`."""
    return bool(_CODE.search(text))
