"""Impure checks re-run when cited files change on disk (workspace/didChangeWatchedFiles)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.e2e import diagnostics, open_doc

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONTRACT = """\
contract_id: C-WATCH
version: 1.0.0
status: DRAFT
metadata:
  version: "1.0.0"
  created: "2026-01-01"
  description: evidence that appears on disk while the contract is open
gates:
  - id: GATE-WATCH-001
    rule: "The test exists."
    verdict: pending
    evidence_discharged_by:
      - tests/test_watch.py::test_appears_later
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.pv]\n", encoding="utf-8")
    (tmp_path / "contracts").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_watch.py").write_text("def test_other():\n    assert True\n", encoding="utf-8")
    (tmp_path / "contracts" / "watch-v1.yaml").write_text(CONTRACT, encoding="utf-8")
    return tmp_path


async def test_evidence_written_on_disk_clears_the_finding(client: LanguageClient, repo: Path) -> None:
    root = repo
    uri = open_doc(client, root / "contracts" / "watch-v1.yaml")
    diags = await diagnostics(client, uri)
    assert "PV402" in {d.code for d in diags}
    test_file = root / "tests" / "test_watch.py"
    test_file.write_text("def test_other():\n    assert True\n\n\ndef test_appears_later():\n    assert 1 + 1 == 2\n",
                         encoding="utf-8")
    client.diagnostics.pop(uri, None)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=test_file.as_uri(), type=types.FileChangeType.Changed)]))
    diags = await diagnostics(client, uri)
    assert "PV402" not in {d.code for d in diags}


async def test_a_changed_config_is_read_again(client: LanguageClient, repo: Path) -> None:
    uri = open_doc(client, repo / "contracts" / "watch-v1.yaml")
    assert "PV402" in {d.code for d in await diagnostics(client, uri)}
    pyproject = repo / "pyproject.toml"
    pyproject.write_text('[tool.pv]\nignore = ["PV402"]\n', encoding="utf-8")
    client.diagnostics.pop(uri, None)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]))
    assert "PV402" not in {d.code for d in await diagnostics(client, uri)}
