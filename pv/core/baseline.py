"""The baseline (ratchet): today's findings, recorded so that only new ones fail.

`pv baseline` writes `.pv-baseline.json` (the `baseline` key of the config
changes where); `pv validate` then leaves out every finding the baseline
holds and reports each entry that no longer matches (PV912), so the file
only ever shrinks. Commit it.

An entry identifies a finding without its line: file, rule code, YAML path
with list indices blanked (`gates[*].id`: inserting a gate above does not
change it) and the message with line/column numbers blanked, plus how many
such findings there are. Lines can move and unrelated parts of the file can
change without disturbing it; a finding whose message changes (another
value, another name) is a new finding. Only errors and warnings are recorded:
infos never fail a run.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pv.core.findings import Finding, Severity

FORMAT_VERSION = 1
NOT_RECORDED = ("PV900", "PV912")  # pv's own failure; the baseline's own staleness

Key = tuple[str, str, str, str]  # (file, code, path, message), normalised

_INDEX = re.compile(r"\[\d+\]")
_LINE_REF = re.compile(r"\b(line|lines|column|col) \d+")


class BaselineError(Exception):
    """The baseline file cannot be used (the message names it)."""


def key(finding: Finding) -> Key:
    return (finding.file, finding.code, _INDEX.sub("[*]", finding.path),
            _LINE_REF.sub(lambda m: f"{m.group(1)} N", finding.message))


def recordable(finding: Finding) -> bool:
    return finding.severity >= Severity.WARNING and finding.code not in NOT_RECORDED


@dataclass
class Baseline:
    entries: Counter[Key]

    def files(self) -> set[str]:
        return {entry[0] for entry in self.entries}


def load(path: Path, shown: str) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"cannot read the baseline {shown}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or not isinstance(
            data.get("findings"), list):
        raise BaselineError(f"{shown} is not a pv baseline (version {FORMAT_VERSION}); "
                            "run `pv baseline` to write it again")
    entries: Counter[Key] = Counter()
    for item in data["findings"]:
        try:
            entry = (item["file"], item["code"], item["path"], item["message"])
            count = item.get("count", 1)
        except (TypeError, KeyError):
            raise BaselineError(f"{shown}: a malformed entry {item!r:.80}; run `pv baseline` again") from None
        if not all(isinstance(part, str) for part in entry) or not isinstance(count, int) or count < 1:
            raise BaselineError(f"{shown}: a malformed entry {item!r:.80}; run `pv baseline` again")
        entries[entry] += count
    return Baseline(entries)


def render(entries: Counter[Key]) -> str:
    """The file's text: sorted, one entry per distinct finding, stable for diffs."""
    findings = [{"file": f, "code": c, "path": p, "message": m, "count": n}
                for (f, c, p, m), n in sorted(entries.items())]
    return json.dumps({"version": FORMAT_VERSION, "tool": "pv", "findings": findings},
                      indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def record(findings: list[Finding], previous: Baseline | None = None,
           checked: set[str] | None = None) -> Counter[Key]:
    """Entries for `findings`; with `checked`, entries of `previous` for other files are kept."""
    entries: Counter[Key] = Counter(key(f) for f in findings if recordable(f))
    if previous is not None and checked is not None:
        for entry, count in previous.entries.items():
            if entry[0] not in checked:
                entries[entry] += count
    return entries


@dataclass
class Match:
    new: list[Finding]  # not in the baseline: reported
    baselined: int  # in the baseline: left out
    stale: Counter[Key]  # entries (or parts of their count) that matched nothing


def match(findings: list[Finding], baseline: Baseline, in_scope) -> Match:
    """Split `findings` by the baseline; `in_scope(file, code)` says whether an entry could have matched."""
    budget = Counter(baseline.entries)
    new: list[Finding] = []
    baselined = 0
    for finding in sorted(findings):
        entry = key(finding)
        if recordable(finding) and budget[entry] > 0:
            budget[entry] -= 1
            baselined += 1
        else:
            new.append(finding)
    stale = Counter({entry: count for entry, count in budget.items() if count > 0 and in_scope(entry[0], entry[1])})
    return Match(new, baselined, stale)
