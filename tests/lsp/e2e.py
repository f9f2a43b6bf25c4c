"""A real `pv lsp` process driven over stdio by pytest-lsp's client, and helpers to talk to it.

Imported by tests/lsp/conftest.py only when pygls and pytest-lsp are installed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TIMEOUT = 30.0  # seconds; generous for a loaded 2-core CI machine, never reached when things work


def server_config() -> ClientServerConfig:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return ClientServerConfig(server_command=[sys.executable, "-m", "pv", "lsp"], server_env=env)


REGISTRATIONS: list[types.Registration] = []
PUBLISHED: list[tuple[str, int | None, int]] = []  # (uri, version, number of diagnostics), in arrival order


async def start(lsp_client: LanguageClient, root: Path) -> None:
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:  # as an editor does: accept, remember
        REGISTRATIONS.extend(params.registrations)

    features = lsp_client.protocol.fm.features
    store = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        PUBLISHED.append((params.uri, params.version, len(params.diagnostics)))
        return store(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri()))


@pytest_lsp.fixture(config=server_config(), scope="session")
async def client(lsp_client: LanguageClient):
    """One server for all the language-server tests: each document finds its own repository root."""
    await start(lsp_client, REPO_ROOT)
    yield
    await lsp_client.shutdown_session()


def uri(path: Path) -> str:
    return path.resolve().as_uri()


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    item_uri = uri(path)
    client.diagnostics.pop(item_uri, None)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=item_uri, language_id="yaml", version=version,
        text=path.read_text(encoding="utf-8") if text is None else text)))
    return item_uri


def close(client: LanguageClient, item_uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(item_uri)))


def replace_all(client: LanguageClient, item_uri: str, text: str, version: int) -> None:
    client.diagnostics.pop(item_uri, None)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=item_uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def edit(client: LanguageClient, item_uri: str, version: int, line: int, char: int, end_char: int,
         new_text: str) -> None:
    """One incremental edit on one line (0-based positions), as an editor sends a keystroke."""
    client.diagnostics.pop(item_uri, None)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=item_uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(line, char), types.Position(line, end_char)), text=new_text)]))


async def diagnostics(client: LanguageClient, item_uri: str,
                      until: Callable[[Sequence[types.Diagnostic]], bool] = lambda d: True,
                      timeout: float = TIMEOUT) -> Sequence[types.Diagnostic]:
    """Wait for the diagnostics of a document (published after the last `pop`) to satisfy `until`."""
    async def wait() -> Sequence[types.Diagnostic]:
        while True:
            if item_uri in client.diagnostics and until(client.diagnostics[item_uri]):
                return client.diagnostics[item_uri]
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    return await asyncio.wait_for(wait(), timeout)


def position_of(text: str, needle: str, offset: int = 0, occurrence: int = 0) -> types.Position:
    """0-based position of `needle` (plus `offset` characters) in `text`."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index)
    return types.Position(line, index - (text.rfind("\n", 0, index) + 1))


def validate_positions(path: Path, root: Path) -> frozenset[tuple[str, int, int]]:
    """What `pv validate` reports on the file after the same policy step, as (code, 0-based line, column)."""
    from pv.core.config import load_config
    from pv.core.engine import CheckContext, validate_file
    from pv.lsp.checking import apply_policy

    config = load_config(root)
    result = validate_file(path, CheckContext(config))
    findings = apply_policy(result.file, result.text or "", result.findings, config)
    return frozenset((f.code, f.line - 1, f.col - 1) for f in findings)
