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
        from pv.core.loader import LoadLimits, read_source

        path = self._paths.get(name)
        if path is None:
            return None
        source = read_source(path, self._root, LoadLimits(max_bytes=self._max_bytes))
        if source.text is not None:
            return source.text
        if any(f.code in ("PV008", "PV010") for f in source.findings):
            return None  # too large, or not to be read at all
        try:  # not UTF-8: show the lines as best we can
            return path.read_bytes()[: self._max_bytes].decode("utf-8", errors="replace")
        except OSError:
            return None

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
