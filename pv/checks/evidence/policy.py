"""The discharge policy: how much each evidence problem matters for its gate.

The gate's stance decides the severity of each evidence problem:

- claims discharge (`verdict: pass`, DISCHARGED, ACTIVE_WITH_LIVE_EVIDENCE,
  PARTIAL_ALGORITHM_LEVEL): missing or invalid evidence, skipped/xfail or
  empty tests are errors; a test that asserts nothing is a warning;
- no discharge status and not pending: missing evidence is a warning,
  skipped/xfail/empty tests are errors;
- PENDING (or `verdict: pending` without a status): everything is info.

Always, whatever the gate says: a path outside the root is an error
(PV404). A PENDING gate whose evidence all exists gets the info "ready to
discharge" (PV410). PARTIAL_ALGORITHM_LEVEL must say what full discharge is
blocked on (PV412, error). A ship-blocking gate that is not discharged in
an ACTIVE contract is a warning (PV413; `--strict` fails on it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pv.checks.evidence.refs import UNRESOLVABLE, UNSAFE
from pv.checks.evidence.resolve import MISSING_FILE, MISSING_SYMBOL, Resolution
from pv.checks.evidence.sites import LIVE, Entry, Owner
from pv.core.document import Document
from pv.core.findings import Finding, Severity

CLAIMED, OPEN, PENDING = "claimed", "open", "pending"
DISCHARGED_STATUSES = ("DISCHARGED", "ACTIVE_WITH_LIVE_EVIDENCE")
CLAIM_STATUSES = DISCHARGED_STATUSES + ("PARTIAL_ALGORITHM_LEVEL",)
BLOCKER_KEYS = ("full_discharge_blocks_on", "blocks_full_discharge_on", "blocks_full_active_on",
                "blocks_active_promotion_on", "blocked_on", "blocks_on", "partial_discharge_note",
                "discharge_notes")

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
_SEVERITY = {
    # rule: (claimed, open, pending)
    "PV401": (E, W, I), "PV402": (E, W, I), "PV403": (E, W, I), "PV404": (E, E, E),
    "PV405": (E, E, I), "PV406": (W, W, I), "PV407": (E, E, I), "PV408": (W, W, I),
    "PV409": (I, I, I), "PV411": (E, W, I), "PV414": (E, W, I), "PV416": (W, I, I),
}
_STATUS_CODE = {MISSING_FILE: "PV401", MISSING_SYMBOL: "PV402", UNRESOLVABLE: "PV403", UNSAFE: "PV404"}


@dataclass
class OwnerResult:
    owner: Owner
    resolutions: list[Resolution]  # one per owner.entries item


def stance(owner: Owner) -> str:
    status, verdict = owner.discharge_status, owner.verdict
    if verdict == "pass" or status in CLAIM_STATUSES:
        return CLAIMED
    if status == "PENDING" or (status is None and verdict == "pending"):
        return PENDING
    return OPEN


def is_discharged(owner: Owner) -> bool:
    status = owner.discharge_status
    return status in DISCHARGED_STATUSES or (status is None and owner.verdict == "pass")


def severity(code: str, owner: Owner) -> Severity:
    claimed, open_, pending = _SEVERITY[code]
    return {CLAIMED: claimed, OPEN: open_, PENDING: pending}[stance(owner)]


def _claim(owner: Owner) -> str:
    status = owner.discharge_status
    return f"discharge_status {status}" if status in CLAIM_STATUSES else "verdict pass"


def _context(owner: Owner) -> str:
    if stance(owner) == CLAIMED:
        return f" ({owner.id} claims {_claim(owner)})"
    if stance(owner) == PENDING:
        return f" ({owner.id} is PENDING)"
    return f" (cited by {owner.id})"


def _where(entry: Entry, res: Resolution) -> tuple:
    """A harness mapping's `name` for problems of the named test, its `path` for file problems."""
    about_file = res.status in (MISSING_FILE, UNSAFE, UNRESOLVABLE)
    return entry.located_path("path" if about_file else "name")


def _root_hint(root: Path, hint: str | None) -> str:
    base = "paths are relative to the repository root (`--root DIR` to change it)"  # never its absolute path
    return f"{hint} ({base})" if hint else base


def static_findings(doc: Document, results: list[OwnerResult], root: Path,
                    contract_status: str | None) -> list[Finding]:
    out: list[Finding] = []
    for result in results:
        out.extend(_entry_findings(doc, result, root))
        out.extend(_owner_findings(doc, result, contract_status))
    return out


def _entry_findings(doc: Document, result: OwnerResult, root: Path) -> list[Finding]:
    owner = result.owner
    out: list[Finding] = []
    seen: dict[tuple[tuple, str], Entry] = {}
    for entry, res in zip(owner.entries, result.resolutions):
        if entry.role == LIVE:
            out.append(doc.finding(entry.path, "PV403", f"{owner.id}: live-run record (prose), not a "
                                   f"reference pv can check: `{_short(entry.ref.raw)}`",
                                   hint="keep the machine-checkable evidence in `evidence_discharged_by`",
                                   severity=I))
            continue
        key = (entry.path[:-1], entry.ref.display)
        if entry.ref.checkable and key in seen:
            first_line = doc.span(seen[key].path)[0]
            out.append(doc.finding(entry.path, "PV418",
                                   f"{owner.id} cites `{entry.ref.display}` twice (first on line {first_line})",
                                   hint="remove the copy, or cite the test that was meant"))
        seen.setdefault(key, entry)
        if not res.ok:
            code = _STATUS_CODE[res.status]
            hint = res.hint
            if res.status == MISSING_FILE and stance(owner) != PENDING:
                hint = _root_hint(root, hint)
            out.append(doc.finding(_where(entry, res), code, f"{res.message}{_context(owner)}", hint=hint,
                                   severity=severity(code, owner)))
            continue
        for issue in res.issues:
            out.append(doc.finding(_where(entry, res), issue.code, f"{issue.message}{_context(owner)}",
                                   hint=issue.hint, severity=severity(issue.code, owner),
                                   fix=_rewrite_fix(doc, entry.path, issue.rewrite)))
    return out


def _rewrite_fix(doc: Document, path: tuple, rewrite: tuple[str, str] | None):
    """The entry with the reference written out in full (PV409), when it appears exactly once."""
    import re

    from pv.core.fixes import replace_string

    value = doc.get(path)
    if rewrite is None or not isinstance(value, str):
        return None
    pattern = re.compile(re.escape(rewrite[0]) + r"(?![\w:])")
    if len(pattern.findall(value)) != 1:
        return None
    return replace_string(doc, path, pattern.sub(lambda _: rewrite[1], value), f"write `{rewrite[1]}`")


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _has_blocker(owner: Owner) -> bool:
    return any(isinstance(owner.data.get(k), str) and owner.data[k].strip() for k in BLOCKER_KEYS)


def _owner_findings(doc: Document, result: OwnerResult, contract_status: str | None) -> list[Finding]:
    owner = result.owner
    out: list[Finding] = []
    status, verdict = owner.discharge_status, owner.verdict
    checkable = [(e, r) for e, r in zip(owner.entries, result.resolutions) if e.role != LIVE]
    if owner.is_gate and not checkable:
        only_live = bool(owner.entries)
        message = (f"{owner.id} lists only prose records of live runs, no checkable evidence"
                   if only_live else f"{owner.id} cites no evidence")
        if stance(owner) == CLAIMED:
            message += f", but claims {_claim(owner)}"
        out.append(doc.finding(owner.path + ("id",), "PV411", message, severity=severity("PV411", owner),
                               hint="list the tests that discharge it in `evidence_discharged_by`"))
    if status == "PARTIAL_ALGORITHM_LEVEL" and not _has_blocker(owner):
        out.append(doc.finding(owner.path + ("discharge_status",), "PV412",
                               f"{owner.id} is PARTIAL_ALGORITHM_LEVEL but does not say what full discharge "
                               "is blocked on",
                               hint="add `full_discharge_blocks_on: <what is missing>`"))
    if status == "PENDING" and checkable and all(
            r.ok and all(i.code == "PV409" for i in r.issues) for _, r in checkable):
        out.append(doc.finding(owner.path + ("discharge_status",), "PV410",
                               f"{owner.id} is PENDING and all {len(checkable)} cited items exist: ready "
                               "to discharge",
                               hint="run `pv discharge`; if the tests pass, set DISCHARGED and verdict pass"))
    if owner.ship_blocking and contract_status == "ACTIVE" and not is_discharged(owner):
        shown = status or (f"verdict {verdict}" if verdict else "no discharge status")
        out.append(doc.finding(owner.path + ("ship_blocking",), "PV413",
                               f"{owner.id} is ship-blocking in an ACTIVE contract but not discharged "
                               f"({shown})",
                               hint="discharge the gate before shipping, or drop `ship_blocking`"))
    if verdict == "pass" and status == "PENDING":
        out.append(doc.finding(owner.path + ("verdict",), "PV415",
                               f"{owner.id} says `verdict: pass` but `discharge_status: PENDING`",
                               hint="set DISCHARGED if the evidence passes, else `verdict: pending`"))
    elif status in DISCHARGED_STATUSES and verdict in ("pending", "fail"):
        out.append(doc.finding(owner.path + ("verdict",), "PV415",
                               f"{owner.id} is {status} but says `verdict: {verdict}`",
                               hint="make the verdict and the discharge status agree"))
    return out


def contract_status(doc: Document) -> str | None:
    for path in (("status",), ("metadata", "status")):
        value = doc.get(path)
        if isinstance(value, str):
            return value.strip().upper()
    return None


# Outcome statuses that are problems when a test was (or should have been) run.
_RUN_PROBLEMS = ("failed", "error", "skipped", "xfailed", "not-found")


def run_findings(doc: Document, results: list[OwnerResult], outcomes: dict, doc_key: str = "") -> list[Finding]:
    """PV414 for cited tests that did not pass when run, PV416 for those that could not run."""
    out: list[Finding] = []
    for result in results:
        owner = result.owner
        for entry, res in zip(owner.entries, result.resolutions):
            outcome = outcomes.get((doc_key, entry.path))
            if outcome is None or not res.ok:
                continue
            detail = f": {outcome.message}" if outcome.message else ""
            if outcome.status in _RUN_PROBLEMS:
                out.append(doc.finding(_where(entry, res), "PV414",
                                       f"`{entry.ref.display}` {outcome.status}{detail}{_context(owner)}",
                                       hint="fix the test or the code; a gate cannot rest on a test that "
                                       "does not pass", severity=severity("PV414", owner)))
            elif outcome.status == "not-run":
                out.append(doc.finding(_where(entry, res), "PV416",
                                       f"`{entry.ref.display}` was not run{detail}{_context(owner)}",
                                       severity=severity("PV416", owner)))
    return out
