"""--select / --ignore: which rule codes are reported."""

from __future__ import annotations

from pv.core import rules
from pv.core.findings import Finding


def code_matches(code: str, pattern: str) -> bool:
    """Does a pattern (ALL, a code, a code prefix such as PV1, a rule name) cover `code`?"""
    pattern = pattern.strip()
    if not pattern:
        return False
    if pattern.upper() == "ALL":
        return True
    if code.startswith(pattern.upper()):
        return True
    try:
        return rules.get(code).name == pattern
    except KeyError:
        return False


def split_patterns(values: tuple[str, ...] | list[str]) -> list[str]:
    """Accept repeated options and comma-separated lists alike."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def unknown_patterns(patterns: list[str]) -> list[str]:
    """Patterns that match no registered rule (a typo in --select/--ignore)."""
    codes = [r.code for r in rules.all_rules()]
    return [p for p in patterns if not any(code_matches(c, p) for c in codes)]


def keep_code(code: str, select: list[str], ignore: list[str]) -> bool:
    if code == "PV900":  # pv itself failed: never filtered away into a clean exit 0
        return True
    if select and not any(code_matches(code, p) for p in select):
        return False
    return not any(code_matches(code, p) for p in ignore)


def keep(finding: Finding, select: list[str], ignore: list[str]) -> bool:
    return keep_code(finding.code, select, ignore)
