"""The result of one validation run, as handed to every report format."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pv.core.findings import Finding, Severity


class LazySources(Mapping[str, str]):
    """File texts for code frames, read when a report first shows a line of the file.

    A run over 10,000 files holds none of their texts; only files a report frames
    are read again (with the loader's checks: inside the root, under the size cap).
    """

    KEEP = 4  # texts kept at once: reports frame one file after another, so memory stays flat

    def __init__(self, root: Path, paths: dict[str, Path], max_bytes: int) -> None:
        self._root, self._paths, self._max_bytes = root, paths, max_bytes
        self._texts: dict[str, str | None] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._texts:
            if len(self._texts) >= self.KEEP:
                del self._texts[next(iter(self._texts))]  # the oldest
            self._texts[name] = self._read(name)
        text = self._texts[name]
        if text is None:
            raise KeyError(name)
        return text

    def _read(self, name: str) -> str | None:
        """The file's text as the loader saw it; None for anything the loader refused to read."""
        import os

        path = self._paths.get(name)
        if path is None:
            return None
        from pv.core.loader import _link_leaves_root

        # Never a byte from outside the root (a link planted in a pull request), a FIFO or a huge file.
        if _link_leaves_root(path, self._root):
            return None
        real = os.path.realpath(path)
        try:
            if not os.path.isfile(real):
                return None
            with open(real, "rb") as handle:
                raw = handle.read(self._max_bytes + 1)
        except OSError:
            return None
        if len(raw) > self._max_bytes:
            return None
        text = raw.decode("utf-8", errors="replace")  # not UTF-8 (PV006): show the lines as best we can
        return text[1:] if text.startswith("\ufeff") else text  # as the loader: columns after a BOM

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass
class Report:
    root: Path  # repository root; report URIs are relative to it
    files: list[str]  # display names (repo-relative) of every file checked
    findings: list[Finding]  # sorted by (file, line, col, code)
    sources: Mapping[str, str] = field(default_factory=dict)  # file -> text, for code frames
    show_infos: bool = True  # text and github: print infos (they are always counted)
    suppressed: int = 0  # findings left out by `# pv: ignore[...]` comments
    baselined: int = 0  # findings left out because the baseline records them

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def infos(self) -> int:
        return self.count(Severity.INFO)

    def shown(self) -> list[Finding]:
        """The findings text and github print: infos only when asked for."""
        if self.show_infos:
            return self.findings
        return [f for f in self.findings if f.severity != Severity.INFO]
