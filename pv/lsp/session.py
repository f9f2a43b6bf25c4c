"""Open documents and when they are checked: debounced, off the event loop, stale results dropped.

Checks run on one worker thread (one at a time, so the caches of the checks
are never shared between two checks at once); hover, definition and
completion run on another, so they stay quick while a big file is checked.
A document changed while its check runs is checked again, once, with its
latest text, and the result of the older text is dropped; what is published
always belongs to the text the editor holds.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.core.config import Config, find_root, load_config
from pv.core.document import Document
from pv.core.findings import Finding
from pv.lsp.checking import Checker, FormulaMemo

log = logging.getLogger("pv.lsp")

# Debounce: a change to a document whose last check took under FAST_CHECK seconds is checked at once
# (the check costs less than waiting would); a slower one waits as long as that check took, at most
# MAX_DEBOUNCE, so a burst of keystrokes costs one check. Changes during a check are coalesced anyway.
FAST_CHECK = 0.05
MAX_DEBOUNCE = 0.25
CONTRACT_SUFFIXES = (".yaml", ".yml")
CONFIG_FILES = ("pyproject.toml", "pv.toml", ".pv.toml")  # where pv's configuration may live

Publish = Callable[[str, "int | None", list[Finding], str], None]


@dataclass
class OpenDoc:
    uri: str
    path: Path
    root: Path
    text: str
    version: int | None
    generation: int = 0
    task: asyncio.Task | None = None
    last_seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)  # as last published
    published_text: str | None = None
    parsed: tuple[str, Document | None] | None = None  # (text, its parse) from the last check or query
    last_good: Document | None = None  # the newest parse that succeeded
    memo: FormulaMemo = field(default_factory=FormulaMemo)


class Session:
    def __init__(self, publish: Publish, skip: frozenset[str] = frozenset()) -> None:
        self.publish = publish
        self.skip = skip
        self.docs: dict[str, OpenDoc] = {}
        self.configs: dict[Path, Config] = {}
        self.checkers: dict[Path, Checker] = {}
        self.notes: list[str] = []  # problems to show the user once (a bad [tool.pv])
        self.check_pool = ThreadPoolExecutor(1, thread_name_prefix="pv-check")
        self.query_pool = ThreadPoolExecutor(1, thread_name_prefix="pv-query")
        self.checks_run = 0  # for tests and the benchmark
        self.checks_dropped = 0

    # --- configuration -------------------------------------------------------------------

    def config_for(self, root: Path) -> Config:
        if root not in self.configs:
            config = load_config(root)
            if config.errors:
                self.notes += [f"pv: {problem}; using the defaults" for problem in config.errors]
                config = Config(root=root)
            self.configs[root] = config
        return self.configs[root]

    def checker_for(self, root: Path) -> Checker:
        if root not in self.checkers:
            self.checkers[root] = Checker(self.config_for(root), self.skip)
        return self.checkers[root]

    # --- document events -------------------------------------------------------------------

    @staticmethod
    def wants(path: Path, language_id: str = "") -> bool:
        """YAML files, and unsaved YAML buffers (which have no file name yet)."""
        return path.suffix.lower() in CONTRACT_SUFFIXES or (language_id == "yaml" and not path.suffix)

    def open(self, uri: str, path: Path, text: str, version: int | None, language_id: str = "") -> None:
        if not self.wants(path, language_id):
            return
        root = find_root(path.parent)
        self.docs[uri] = OpenDoc(uri, path, root, text, version)
        self._schedule(uri, immediate=True)

    def change(self, uri: str, text: str, version: int | None) -> None:
        doc = self.docs.get(uri)
        if doc is None:
            return
        doc.text, doc.version = text, version
        self._schedule(uri, immediate=False)

    def close(self, uri: str) -> None:
        doc = self.docs.pop(uri, None)
        if doc is not None:
            doc.generation += 1  # a running check's result is dropped
            self.publish(uri, None, [], "")

    def files_changed(self, paths: list[Path]) -> None:
        """Files on disk changed: re-read configs that changed, forget parsed evidence, re-check."""
        config_changed = any(path.name in CONFIG_FILES for path in paths)
        if config_changed:
            self.configs.clear()  # read again on the next check; the formula memos stay valid
            self.checkers.clear()
        self.check_pool.submit(_forget_evidence)  # on the check thread, between two checks
        for uri, doc in list(self.docs.items()):
            if config_changed or self._reads_other_files(doc):
                self._schedule(uri, immediate=True)

    def _reads_other_files(self, doc: OpenDoc) -> bool:
        """Whether an impure check (evidence, peer files) has something to look at in the document."""
        import importlib

        from pv.checks import CHECKS

        parsed = doc.parsed
        if parsed is None or parsed[0] != doc.text:
            return True  # not checked as it stands yet
        if parsed[1] is None:
            return False  # does not parse: only the loader's findings, which no other file changes
        for spec in CHECKS:
            if spec.pure or spec.name in self.skip:
                continue
            if spec.applies is None:
                return True
            module, name = spec.applies.split(":")
            try:
                if getattr(importlib.import_module(module), name)(parsed[1].data):
                    return True
            except Exception:
                return True  # when in doubt, check
        return False

    def shutdown(self) -> None:
        for pool in (self.check_pool, self.query_pool):
            pool.shutdown(wait=False, cancel_futures=True)

    # --- checking ----------------------------------------------------------------------------

    def _schedule(self, uri: str, *, immediate: bool) -> None:
        doc = self.docs[uri]
        doc.generation += 1
        if doc.task is not None and not doc.task.done():
            return  # the running loop sees the new generation and checks the latest text
        delay = 0.0 if immediate else _debounce(doc)
        doc.task = asyncio.get_running_loop().create_task(self._check_loop(doc, delay))

    async def _check_loop(self, doc: OpenDoc, delay: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if delay:
                await asyncio.sleep(delay)
            generation, text, version = doc.generation, doc.text, doc.version
            try:
                outcome = await loop.run_in_executor(self.check_pool, self._check, doc, text)
            except Exception as exc:  # pv must never take the editor down with it
                log.exception("check of %s failed", doc.uri)
                outcome = _internal_error(doc, exc)
            if self.docs.get(doc.uri) is not doc:
                return  # closed meanwhile
            if doc.generation != generation:
                self.checks_dropped += 1
                delay = _debounce(doc)
                continue  # edited meanwhile: this result is stale
            doc.findings, doc.published_text = outcome.findings, text
            try:
                self.publish(doc.uri, version, outcome.findings, text)
            except Exception:  # the client went away mid-publish: nothing to do for this document
                log.exception("could not publish diagnostics for %s", doc.uri)
            return

    def _check(self, doc: OpenDoc, text: str):
        outcome = self.checker_for(doc.root).check(doc.path, text, doc.memo)
        doc.last_seconds = outcome.seconds
        doc.parsed = (text, outcome.doc)
        if outcome.doc is not None:
            doc.last_good = outcome.doc
        self.checks_run += 1
        return outcome

    # --- queries -----------------------------------------------------------------------------

    async def query(self, uri: str, fn: Callable[[OpenDoc, str, Document | None], Any]) -> Any:
        """Run `fn(open_doc, text, parsed_text)` on the query thread; None when it fails or no doc is open."""
        doc = self.docs.get(uri)
        if doc is None:
            return None
        text = doc.text
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.query_pool, self._query, doc, text, fn)
        except Exception:
            log.exception("query on %s failed", uri)
            return None

    def _query(self, doc: OpenDoc, text: str, fn: Callable) -> Any:
        return fn(doc, text, self.parse(doc, text))

    def parse(self, doc: OpenDoc, text: str) -> Document | None:
        parsed = doc.parsed
        if parsed is not None and parsed[0] == text:
            return parsed[1]
        from pv.core.loader import parse_source, text_source

        limits = self.config_for(doc.root).limits
        parsed_doc, _ = parse_source(text_source(doc.path, doc.root, text, limits), limits)
        doc.parsed = (text, parsed_doc)
        if parsed_doc is not None:
            doc.last_good = parsed_doc
        return parsed_doc


def _debounce(doc: OpenDoc) -> float:
    return 0.0 if doc.last_seconds < FAST_CHECK else min(MAX_DEBOUNCE, doc.last_seconds)


def _forget_evidence() -> None:
    resolve = sys.modules.get("pv.checks.evidence.resolve")
    if resolve is not None:
        resolve.clear_cache()


def _internal_error(doc: OpenDoc, exc: BaseException):
    from pv.core import rules
    from pv.lsp.checking import Outcome

    rule = rules.get("PV900")
    finding = Finding(doc.path.name, 1, 1, rule.code, rule.severity,
                      f"pv could not check this file: {type(exc).__name__}: {exc}",
                      hint="this is a bug in pv; please report it with this file")
    return Outcome([finding], None, 0.0)
