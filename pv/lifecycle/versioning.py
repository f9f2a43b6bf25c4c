"""Judge a changed contract's version bump against the changes (PV701–PV704, PV710, PV711)."""

from __future__ import annotations

from typing import Any

from pv.checks.consistency.versions import LEADING_VERSION, parse_semver, version_key
from pv.core.document import Document
from pv.core.findings import Finding
from pv.lifecycle.policy import BUMP_NAMES, MAJOR, MINOR, NONE, PATCH
from pv.lifecycle.semdiff import Change, diff_contracts


def contract_version(data: dict) -> str | None:
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    for value in (data.get("version"), metadata.get("version")):
        if isinstance(value, str) and parse_semver(value):
            return value.strip()
    return None


def bump_between(old: str, new: str) -> int | None:
    """The bump from `old` to `new` (NONE when equal); None when `new` is lower."""
    a, b = parse_semver(old), parse_semver(new)
    if version_key(b) < version_key(a):
        return None
    if b[0] > a[0]:
        return MAJOR
    if b[1] > a[1]:
        return MINOR
    if b[2] > a[2] or b[3] != a[3]:
        return PATCH
    return NONE


def has_changelog_entry(data: dict, version: str) -> bool:
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    changelog = metadata.get("changelog")
    target = parse_semver(version)
    for entry in changelog if isinstance(changelog, list) else []:
        text = entry.get("version") if isinstance(entry, dict) else entry
        if isinstance(text, str | int | float) and not isinstance(text, bool):
            match = LEADING_VERSION.match(str(text))
            if match and parse_semver(match.group(1)) == target:
                return True
    return False


def _where(doc: Document, change: Change) -> tuple[Any, ...]:
    if not change.in_old:
        return change.path
    prefix = []
    for part in change.path:  # a removed thing: point at its nearest surviving parent
        if isinstance(part, int):
            break
        prefix.append(part)
    return tuple(prefix[:-1]) if len(prefix) == len(change.path) else tuple(prefix)


def judge(old_data: dict, new: Document, base_label: str) -> list[Finding]:
    """Every change as PV710, a PV711 summary, and PV701–PV704 when the bump falls short."""
    changes = diff_contracts(old_data, new.data)
    findings = [new.finding(_where(new, c), "PV710", f"{c.message} [{c.kind}: {BUMP_NAMES[c.bump]}]")
                for c in changes if c.bump > NONE]
    need = max((c.bump for c in changes), default=NONE)
    old_v, new_v = contract_version(old_data), contract_version(new.data)
    at = ("version",) if "version" in new.data else ("metadata", "version")
    if need == NONE and old_v == new_v:
        return findings
    if old_v is None or new_v is None:
        which = "the base" if old_v is None else "this file"
        findings.append(new.finding(at, "PV711", f"changes require a {BUMP_NAMES[need]} bump; {which} has no "
                                    "semantic version to compare (see `pv validate`)"))
        return findings
    got = bump_between(old_v, new_v)
    summary = (f"{len([c for c in changes if c.bump > NONE])} change(s) since {base_label} require a "
               f"{BUMP_NAMES[need]} bump; version {old_v} -> {new_v}")
    findings.append(new.finding(at, "PV711", summary))
    drivers = ", ".join(sorted({c.kind for c in changes if c.bump == need}))
    if got is None:
        findings.append(new.finding(at, "PV704", f"version {new_v} is lower than {old_v} at {base_label}",
                                    hint=f"set a version above {old_v}"))
    elif got == NONE and need > NONE:
        findings.append(new.finding(at, "PV701", f"the contract changed since {base_label} but its version is "
                                    f"still {new_v}; the changes require a {BUMP_NAMES[need]} bump ({drivers})",
                                    hint=f"pv bump {BUMP_NAMES[need]} -m \"what changed and why\" {new.file}"))
    elif got < need:
        findings.append(new.finding(at, "PV702", f"version {old_v} -> {new_v} is a {BUMP_NAMES[got]} bump; the "
                                    f"changes require {BUMP_NAMES[need]} ({drivers})",
                                    hint=f"pv bump --to {_bumped(old_v, need)} {new.file}"))
    if got not in (None, NONE) and not has_changelog_entry(new.data, new_v):
        findings.append(new.finding(("metadata", "changelog") if _has_changelog(new.data) else ("metadata",),
                                    "PV703", f"version {new_v} has no changelog entry", key=True,
                                    hint=f"add \"{new_v} (YYYY-MM-DD): what changed and why\" to metadata.changelog"))
    return findings


def _has_changelog(data: dict) -> bool:
    metadata = data.get("metadata")
    return isinstance(metadata, dict) and "changelog" in metadata


def _bumped(version: str, need: int) -> str:
    major, minor, patch, _ = parse_semver(version)
    if need == MAJOR:
        return f"{major + 1}.0.0"
    if need == MINOR:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
