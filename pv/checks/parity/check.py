"""The Rust pv's structural rules (see rules.py for the mapping), on the parsed document.

Pure: reads only the document, so its findings are cached with the schema's.
Missing keys and wrong types are the schema's to report; these rules judge
values that are present (empty, a placeholder, in the wrong place).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pv.checks.consistency.check import dict_items
from pv.core.document import Document, YamlPath
from pv.core.findings import Finding, Fix, Severity, TextEdit
from pv.core.vocabulary import declared_kind, field

# The Rust pv's Contract fields (CONTRACT_TOP_LEVEL_FIELDS) and pv's own top-level blocks.
RUST_BLOCKS = ("metadata", "equations", "proof_obligations", "kernel_structure", "simd_dispatch", "enforcement",
               "falsification_tests", "kani_harnesses", "qa_gate", "verification_summary", "type_invariants",
               "coq_spec", "beat")
PV_BLOCKS = ("contract_id", "version", "status", "summary", "motivation", "references", "formulas", "invariants",
             "gates", "failure_modes")
BLOCKS = RUST_BLOCKS + PV_BLOCKS
# A block known by its first word alone (aprender#2504: `falsification:` for `falsification_tests:`).
HEAD_WORDS = {"falsification": "falsification_tests"}
PLACEHOLDERS = frozenset({"tbd", "tba", "todo", "fixme", "xxx", "n/a", "na", "?", "??", "...", "…", "-",
                          "placeholder", "to be defined", "to be determined"})
LOOP_TYPES = ("loop_invariant", "loop_variant")
_SEPARATORS = re.compile(r"[\s_.-]")


def check(doc: Document, ctx: object = None) -> list[Finding]:
    config = getattr(ctx, "config", None)
    findings: list[Finding] = []
    findings.extend(_references(doc))
    findings.extend(_formulas(doc))
    findings.extend(_obligations(doc, config))
    findings.extend(_falsification_tests(doc, config))
    findings.extend(_harnesses(doc))
    findings.extend(_top_level(doc))
    if is_kernel(doc):
        findings.extend(_kernel(doc))
    return findings


def is_kernel(doc: Document) -> bool:
    """The Rust pv's kernel kind: `metadata.kind: kernel`, or no kind (nor `registry: true`) on a kernel's blocks."""
    kind = declared_kind(doc.data)
    if kind is not None:
        return kind == "kernel"
    if not isinstance(doc.data.get("metadata"), dict):
        return False  # no metadata, no kind: PV103 is the finding, not what a kernel lacks
    from pv.checks.schema.check import KERNEL, family

    return family(doc) == KERNEL


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def _name(item: dict, index: int) -> str:
    ident = item.get("id")
    return f"`{ident}`" if isinstance(ident, str) and ident.strip() else f"#{index + 1}"


# --- SCHEMA-001 ---------------------------------------------------------------------------

def _references(doc: Document) -> Iterator[Finding]:
    metadata = doc.data.get("metadata")
    if not isinstance(metadata, dict):
        return  # absent or mistyped: the schema's
    refs = metadata.get("references")
    top = doc.data.get("references")
    from pv.checks.schema.check import GATED, family

    if family(doc) == GATED and isinstance(top, list) and any(not _blank(r) for r in top if r is not None):
        return  # a gated contract's top-level references
    if refs is None:
        yield doc.finding(("metadata",), "PV601", "metadata.references is missing: the contract cites no source",
                          hint="add `references:` under metadata with the paper(s) or spec(s) it relies on",
                          key=True)
    elif isinstance(refs, list) and all(r is None or _blank(r) for r in refs):
        yield doc.finding(("metadata", "references"), "PV601", "metadata.references is empty",
                          hint="list the paper(s) or spec(s) the contract relies on", key=True)


# --- SCHEMA-004 ---------------------------------------------------------------------------

def _formulas(doc: Document) -> Iterator[Finding]:
    equations = doc.data.get("equations")
    if not isinstance(equations, dict):
        return
    for name, equation in equations.items():
        formula = equation.get("formula") if isinstance(equation, dict) else None
        if not isinstance(formula, str):
            continue  # missing or mistyped: the schema's
        text = formula.strip()
        if not text or text.lower().rstrip(".:") in PLACEHOLDERS or text.lower() in PLACEHOLDERS:
            shown = "empty" if not text else f"the placeholder {text!r}"
            yield doc.finding(("equations", name, "formula"), "PV602",
                              f"equation `{name}` has {shown} as its formula",
                              hint="write the formula, or remove the equation until it is known")


# --- SCHEMA-005/006/014/015/016/017 ------------------------------------------------------------

def _obligations(doc: Document, config: object) -> Iterator[Finding]:
    formals: dict[str, int] = {}
    metadata = doc.data.get("metadata") if isinstance(doc.data.get("metadata"), dict) else {}
    depends = metadata.get("depends_on") if isinstance(metadata.get("depends_on"), list) else []
    for index, item in dict_items(doc, "proof_obligations"):
        base: YamlPath = ("proof_obligations", index)
        what = _name(item, index)
        key, value = field(item, "property", "proof_obligations", config)
        if key is not None and _blank(value):
            yield doc.finding(base + (key,), "PV603", f"proof obligation {what} has an empty `{key}`",
                              hint="say in words what must be proved")
        key, formal = field(item, "formal", "proof_obligations", config)
        if key is not None and isinstance(formal, str) and formal.strip():
            text = " ".join(formal.split())
            if text in formals:
                first = doc.span(("proof_obligations", formals[text]))[0]
                yield doc.finding(base + (key,), "PV606",
                                  f"proof obligation {what} has the same formal predicate as the one on line {first}",
                                  hint="merge the two obligations, or write the predicate this one means")
            else:
                formals[text] = index
        kind = item.get("type")
        misplaced = (("requires", kind != "postcondition", "PV609", "postcondition"),
                     ("applies_to_phase", kind not in LOOP_TYPES, "PV610", "loop_invariant or loop_variant"),
                     ("parent_contract", kind != "subcontract", "PV611", "subcontract"))
        for name, wrong, code, only in misplaced:
            if name in item and wrong:
                yield doc.finding(base + (name,), code,
                                  f"`{name}` on proof obligation {what} of type `{kind}`; it is only valid "
                                  f"on a {only}", hint=f"remove `{name}`, or make the obligation a {only}",
                                  key=True)
        parent = item.get("parent_contract")
        if kind == "subcontract" and isinstance(parent, str) and parent.strip() \
                and not any(_same_contract(parent, d) for d in depends if isinstance(d, str)):
            yield doc.finding(base + ("parent_contract",), "PV612",
                              f"subcontract {what} refines `{parent.strip()}`, which metadata.depends_on "
                              "does not list", hint=f"add `{parent.strip()}` to metadata.depends_on")


def _stem(name: str) -> str:
    return re.sub(r"\.ya?ml$", "", name.strip().rsplit("/", 1)[-1])


def _same_contract(a: str, b: str) -> bool:
    return bool(a.strip()) and _stem(a) == _stem(b)


# --- SCHEMA-008 ---------------------------------------------------------------------------

def _falsification_tests(doc: Document, config: object) -> Iterator[Finding]:
    for index, item in dict_items(doc, "falsification_tests"):
        key, value = field(item, "prediction", "falsification_tests", config)
        what = _name(item, index)
        if key is None:
            yield doc.finding(("falsification_tests", index), "PV604", f"falsification test {what} makes no prediction",
                              hint="add `prediction:` saying what is observed when the rule holds")
        elif _blank(value):
            yield doc.finding(("falsification_tests", index, key), "PV604",
                              f"falsification test {what} has an empty `{key}`",
                              hint="say what is observed when the rule holds")


# --- SCHEMA-011/012 -----------------------------------------------------------------------

def _harnesses(doc: Document) -> Iterator[Finding]:
    for index, item in dict_items(doc, "kani_harnesses"):
        what = _name(item, index)
        obligation = item.get("obligation")
        if obligation is None or _blank(obligation):
            path: YamlPath = ("kani_harnesses", index) + (("obligation",) if obligation is not None else ())
            yield doc.finding(path, "PV605", f"Kani harness {what} names no proof obligation",
                              hint="set `obligation:` to the id of the obligation it checks")
        if "bound" not in item:
            yield doc.finding(("kani_harnesses", index), "PV607", f"Kani harness {what} has no unwind bound",
                              hint="add `bound: N` (the loop unwind bound Kani uses)")
        elif item["bound"] == 0 and not isinstance(item["bound"], bool):
            yield doc.finding(("kani_harnesses", index, "bound"), "PV607",
                              f"Kani harness {what} has bound 0, which unwinds no loop iteration",
                              hint="set the bound to the longest loop the harness must cover")


# --- SCHEMA-018/019 -----------------------------------------------------------------------

def _forms(name: str) -> set[str]:
    """A key case-folded, without separators, with and without a plural ending."""
    word = _SEPARATORS.sub("", name.lower())
    forms = {word}
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


_BLOCK_FORMS: dict[str, str] = {}
for _block in reversed(BLOCKS):  # the first block listed wins a shared form
    _BLOCK_FORMS.update(dict.fromkeys(_forms(_block), _block))


def near_miss(key: str) -> str | None:
    """The real block a top-level key was meant to be, if it differs only by form."""
    if key in BLOCKS:
        return None
    if key.lower() in HEAD_WORDS:
        return HEAD_WORDS[key.lower()]
    return next((_BLOCK_FORMS[form] for form in sorted(_forms(key)) if form in _BLOCK_FORMS), None)


def _top_level(doc: Document) -> Iterator[Finding]:
    data = doc.data
    if "kind" in data:
        value = data["kind"]
        shown = f"`kind: {value}`" if isinstance(value, (str, int, float)) else "`kind:`"
        yield doc.finding(("kind",), "PV613", f"top-level {shown} is not read; the contract's kind is `metadata.kind`",
                          hint="move it under `metadata:` as one of the known kinds (kernel, registry, "
                               "schema, pattern, …), or remove it", key=True)
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        meant = near_miss(key)
        if meant is None or _typo_reported(doc, key):
            continue
        hidden = _hides_content(key, value)
        fix = None
        if not (meant in data or key.lower() in HEAD_WORDS):
            line, col, end_line, end_col = doc.span((key,), key=True)
            fix = Fix(f"rename `{key}` to `{meant}`", (TextEdit(line, col, end_line, end_col, meant),))
        yield doc.finding((key,), "PV614", f"`{key}:` is not a contract block and is ignored; did you mean `{meant}:`?",
                          hint=f"rename it to `{meant}:`" + ("" if meant not in data else f" (merge it with the "
                                                               f"existing `{meant}:`)"),
                          severity=None if hidden else Severity.WARNING, key=True, fix=fix)


TEST_FIELDS = frozenset({"id", "rule", "prediction", "test", "if_fails", "falsifier", "procedure", "test_harness",
                         "command", "expected"})


def _hides_content(key: str, value: Any) -> bool:
    """Whether the ignored block holds what its real block would check (an error), or not (a warning).

    `falsification:` lists of `{condition, severity, action}` (book chapters) are another
    convention, not tests pv fails to read; entries with ids, rules or predictions are.
    """
    if value in (None, [], {}, ""):
        return False
    if key.lower() not in HEAD_WORDS:
        return True
    entries = value if isinstance(value, list) else [value]
    return any(isinstance(e, dict) and not TEST_FIELDS.isdisjoint(e) for e in entries)


def _typo_reported(doc: Document, key: str) -> bool:
    """PV101 (the schema's did-you-mean) already names this key: do not report it twice."""
    from pv.checks.schema.check import _schemas, family
    from pv.core.suggest import closest

    props = _schemas()[f"{family(doc)}.schema.json"].get("properties", {})
    near = closest(key, props)
    return near is not None and near not in doc.data


# --- PROVABILITY-001 / SCHEMA-013 ------------------------------------------------------------

def _kernel(doc: Document) -> Iterator[Finding]:
    data = doc.data
    missing = [key for key in ("proof_obligations", "falsification_tests", "kani_harnesses") if not data.get(key)]
    if missing:
        present = next((key for key in missing if key in data), None)
        listed = ", ".join(f"`{key}`" for key in missing)
        yield doc.finding((present,) if present else (), "PV615", f"kernel contract has no {listed}",
                          hint="add them, or declare the kind this contract is (metadata.kind: registry, "
                               "schema, pattern, …)", key=present is not None)
    obligations, tests = data.get("proof_obligations"), data.get("falsification_tests")
    if isinstance(obligations, list) and isinstance(tests, list) and tests and len(tests) < len(obligations):
        yield doc.finding(("falsification_tests",), "PV615",
                          f"{len(tests)} falsification tests for {len(obligations)} proof obligations",
                          hint="give every obligation at least one falsification test", key=True)
    if "qa_gate" not in data:
        yield doc.finding(("metadata",) if "metadata" in data else (), "PV608",
                          "kernel contract defines no `qa_gate`",
                          hint="add a `qa_gate:` with the checks the implementation must pass",
                          key="metadata" in data)
