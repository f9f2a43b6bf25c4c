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
        try:
            return _BY_LABEL[text]  # cache entries are read by the ten thousand: skip enum's lookup
        except KeyError:
            return cls[text.upper()]


_BY_LABEL = {severity.label: severity for severity in Severity}


@dataclass(frozen=True)
class TextEdit:
    """Replace the text from (line, col) up to, not including, (end_line, end_col); 1-based."""

    line: int
    col: int
    end_line: int
    end_col: int
    new_text: str

    def to_dict(self) -> dict:
        return {"line": self.line, "col": self.col, "end_line": self.end_line, "end_col": self.end_col,
                "new_text": self.new_text}


@dataclass(frozen=True)
class Fix:
    """An exact, meaning-preserving edit a finding's hint states (applied by --fix, offered by the LSP)."""

    title: str  # e.g. "rename `evidence_discharge_by` to `evidence_discharged_by`"
    edits: tuple[TextEdit, ...]

    def to_dict(self) -> dict:
        return {"title": self.title, "edits": [e.to_dict() for e in self.edits]}

    @classmethod
    def from_dict(cls, data: dict) -> Fix:
        return cls(data["title"], tuple(TextEdit(**e) for e in data["edits"]))


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
    fix: Fix | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        """Stable JSON shape (documented in the README); `fix` only when there is one."""
        data = {
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
        if self.fix is not None:
            data["fix"] = self.fix.to_dict()
        return data

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
            fix=Fix.from_dict(data["fix"]) if data.get("fix") else None,
        )
