"""The finding model shared by every check and every report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Ordered so that `max()` over findings gives the worst one."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem (or note) about one place in one file.

    `line` and `col` are 1-based; 0 means "no position" (e.g. a file that
    cannot be read at all). `path` is the YAML path such as
    `gates[3].evidence_discharged_by[1]`, empty for the whole document.
    """

    file: str
    line: int
    col: int
    code: str
    severity: Severity = field(compare=False)
    message: str = field(compare=False)
    path: str = field(default="", compare=False)
    hint: str | None = field(default=None, compare=False)
    end_line: int | None = field(default=None, compare=False)
    end_col: int | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        """Stable JSON shape (documented in the README)."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
            "code": self.code,
            "severity": self.severity.label,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(
            file=data["file"],
            line=data["line"],
            col=data["col"],
            code=data["code"],
            severity=Severity.parse(data["severity"]),
            message=data["message"],
            path=data.get("path", ""),
            hint=data.get("hint"),
            end_line=data.get("end_line"),
            end_col=data.get("end_col"),
        )
