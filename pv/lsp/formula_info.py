"""Hover text for formulas: how pv read one (as `pv formulas` shows it), and its value at each claim.

Values are computed the way the formula check computes them, in a forked,
time-limited step (`run_steps`), so a hostile formula cannot hang the server.
"""

from __future__ import annotations

from typing import Any

from pv.core.document import Document, YamlPath

STEP_SECONDS = 2.0
TOTAL_SECONDS = 5.0
MAX_CLAIMS = 20


def section_formula(doc: Document, path: YamlPath) -> str | None:
    """The name of the `formulas:` entry `path` is inside of, or that a `formulas:` list names there."""
    if len(path) >= 3 and path[0] == "formulas" and path[1] in ("definitions", "obligations"):
        return str(path[2])
    if len(path) == 4 and path[0] in ("invariants", "gates") and path[2] == "formulas":
        name = doc.get(path)
        return name if isinstance(name, str) else None
    return None


def describe(doc: Document, path: YamlPath) -> str | None:
    name = section_formula(doc, path)
    if name is not None:
        return _section_formula(doc, name)
    return _kernel(doc, path)


def _kernel(doc: Document, path: YamlPath) -> str | None:
    """A kernel contract's formula string as `pv formulas` shows it: how pv read it, its closed statements."""
    from pv.checks.formulas.kernel import read_contract
    from pv.checks.formulas.report import kernel_entry

    reading = next((r for r in read_contract(doc.data) if r.site.path == tuple(path)), None)
    if reading is None or reading.status in ("prose", "opted out"):
        return None
    entry = kernel_entry(doc, reading)
    lines = [f"**{entry['kind']}** `{_short(entry['text'])}` — {entry['status']}", ""]
    if "read_as" in entry:
        lines.append(f"pv reads: `{entry['read_as']}`")
    if "reason" in entry:
        lines.append(f"pv cannot read it: {entry['reason']}")
    if "bindings" in entry:
        lines.append("with " + ", ".join(f"`{k}` = {v}" for k, v in entry["bindings"].items()))
    for statement in entry.get("statements", []):
        lines.append(f"- `{statement['statement']}`: **{statement['verdict']}** "
                     f"({statement['left']} vs {statement['right']})")
    return "\n".join(lines)


def _section_formula(doc: Document, name: str) -> str | None:
    from pv.checks.formulas.model import load_section
    from pv.checks.formulas.pretty import pretty

    section = load_section(doc)
    formula = section.formulas.get(name)
    if formula is None:
        return None
    head = f"**`{name}`** — formula ({formula.section[:-1]}"
    head += f", {formula.type})" if formula.type else ")"
    lines = [head, ""]
    if formula.node is None:
        problems = [f.message for f in section.findings if f.path.startswith(f"formulas.{formula.section}.{name}")]
        lines.append("pv cannot read it" + (f": {problems[0]}" if problems else "."))
        return "\n".join(lines)
    lines.append(f"pv reads: `{pretty(formula.node)}`")
    free = sorted(section.free_symbols(name))
    if free:
        domains = []
        for sym in free:
            symbol = section.symbols.get(sym)
            raw = doc.get(symbol.path) if symbol is not None else None
            domains.append(f"`{sym}` ∈ {raw}" if isinstance(raw, str) else f"`{sym}`")
        lines.append("symbols: " + ", ".join(domains))
    if formula.refs:
        lines.append("uses: " + ", ".join(f"`{r}`" for r in sorted(formula.refs)))
    if not section.depends_ok(name):
        lines.append("")
        lines.append("_Not evaluated: it, or a formula it uses, has a problem (see the diagnostics)._")
        return "\n".join(lines)
    claims = formula.claims[:MAX_CLAIMS]
    if claims:
        lines += ["", "value at each claim:"]
        lines += _claim_lines(section, formula, claims)
    return "\n".join(lines)


def _claim_lines(section: Any, formula: Any, claims: list) -> list[str]:
    from pv.checks.formulas.limits import run_steps
    from pv.checks.formulas.numeric import fmt

    defs = section.definitions
    steps, shown = [], []
    for _path, claim in claims:
        at = claim.get("at") if isinstance(claim.get("at"), dict) else {}
        env = {str(k): v for k, v in at.items() if _plain_number(v)}
        point = ", ".join(f"{k} = {_show_value(v)}" for k, v in sorted(env.items()))
        claimed = _claimed(claim.get("value"))
        tolerance = claim.get("tolerance")
        if _plain_number(tolerance) and not isinstance(tolerance, list):
            claimed += f" ± {_show_value(tolerance)}"
        shown.append((point or "the only point", claimed))

        def step(node=formula.node, env=env) -> str:
            from pv.checks.formulas.numeric import evaluate

            return fmt(evaluate(node, defs, env), 12)

        steps.append(step)
    results = run_steps(steps, STEP_SECONDS, TOTAL_SECONDS)
    out = []
    for (point, claimed), result in zip(shown, results, strict=True):
        value = result.value if result.ok else ("timed out" if result.error in ("timeout", "budget")
                                                else f"not evaluable ({result.error})")
        out.append(f"- at {point}: **{value}** (claimed {claimed})")
    return out


def _plain_number(value: Any) -> bool:
    if isinstance(value, list):
        return 0 < len(value) <= 10_000 and all(_plain_number(v) and not isinstance(v, list) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show_value(value: Any) -> str:
    """A number or list as written; a huge integer is not spelled out (str() of one can take seconds)."""
    if isinstance(value, list):
        return "[" + ", ".join(_show_value(v) for v in value[:8]) + (", …]" if len(value) > 8 else "]")
    if isinstance(value, int) and abs(value) > 10**30:
        return "(an integer of more than 30 digits)"
    return repr(value) if isinstance(value, float) else str(value)


def _claimed(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _short(_show_value(value), 60) if isinstance(value, int | float | list) else _short(str(value), 60)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
