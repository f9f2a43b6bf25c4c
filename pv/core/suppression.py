"""Inline suppression comments: `# pv: ignore[PV104] reason`.

A comment after a value covers its own line; a comment alone on its line
covers the next line that is not blank or a comment (so several suppressions
can stack above one key). Codes are rule codes or rule names, comma-separated;
the reason is free text (write one: it is what a reviewer reads).

Parsed here from the file's text (so cached results stay right when only a
comment changes: the text is part of the cache key) and applied, with every
other policy, in pv.core.policy after the checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pv.core.document import source_lines

_MARKER = re.compile(r"(?:^|(?<=\s))#\s*pv:\s*ignore\b(?P<rest>.*)$")
_CODES = re.compile(r"\[(?P<codes>[^\]]*)\](?P<reason>.*)$")
_COMMENT_OR_BLANK = re.compile(r"\s*(?:#.*)?$")


@dataclass(frozen=True)
class Suppression:
    line: int  # 1-based line of the comment
    col: int  # 1-based column of its `#`
    targets: tuple[int, ...]  # the lines whose findings it may suppress
    codes: tuple[str, ...]  # rule codes it names (resolved from codes or names)
    unknown: tuple[str, ...] = ()  # names that are no rule
    reason: str = ""

    def to_dict(self) -> dict:
        return {"line": self.line, "col": self.col, "targets": list(self.targets), "codes": list(self.codes),
                "unknown": list(self.unknown), "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict) -> Suppression:
        return cls(data["line"], data["col"], tuple(data["targets"]), tuple(data["codes"]),
                   tuple(data["unknown"]), data["reason"])


def _resolve(name: str) -> str | None:
    from pv.core import rules

    try:
        return rules.get(name).code
    except KeyError:
        return None


def parse(text: str) -> list[Suppression]:
    """Every `# pv: ignore…` comment in `text`, in line order."""
    if "pv:" not in text:  # the common case: nothing to look for
        return []
    lines = source_lines(text)
    found: list[Suppression] = []
    for index, line in enumerate(lines):
        if "pv:" not in line:
            continue
        match = _MARKER.search(line)
        if match is None:
            continue
        number = index + 1
        own_line = not line[: match.start()].strip()
        targets = [number]
        if own_line:
            following = next((i + 1 for i in range(index + 1, len(lines))
                              if not _COMMENT_OR_BLANK.match(lines[i])), None)
            if following is not None:
                targets.append(following)
        codes_match = _CODES.match(match.group("rest").strip())
        names = ([part.strip() for part in codes_match.group("codes").split(",") if part.strip()]
                 if codes_match else [])
        resolved = [(name, _resolve(name)) for name in names]
        found.append(Suppression(
            line=number, col=match.start() + 1, targets=tuple(targets),
            codes=tuple(dict.fromkeys(code for _, code in resolved if code)),
            unknown=tuple(name for name, code in resolved if code is None),
            reason=codes_match.group("reason").strip() if codes_match else "",
        ))
    return found
