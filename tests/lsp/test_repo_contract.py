"""End to end on the repository's own contract: a real `pv lsp` over stdio, a real LSP client.

Edits are sent to the server only (the file on disk is never changed).
"""

from __future__ import annotations

import asyncio
import functools
import re

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.e2e import (
    PUBLISHED,
    REGISTRATIONS,
    REPO_ROOT,
    diagnostics,
    edit,
    open_doc,
    position_of,
    replace_all,
    validate_positions,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
CONTRACT = REPO_ROOT / "contracts" / "training-loop-pretrain-v1.yaml"
TEXT = CONTRACT.read_text(encoding="utf-8")



@functools.cache
def expected() -> frozenset[tuple[str, int, int]]:
    return validate_positions(CONTRACT, REPO_ROOT)


def shown(diags) -> set[tuple[str, int, int]]:
    return {(d.code, d.range.start.line, d.range.start.character) for d in diags}


async def test_open_gives_the_findings_of_pv_validate(client: LanguageClient) -> None:
    uri = open_doc(client, CONTRACT)
    diags = await diagnostics(client, uri)
    assert shown(diags) == expected()
    assert all(d.source == "pv" and d.range.end != d.range.start for d in diags)
    assert any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in REGISTRATIONS)


async def test_one_character_typo_appears_with_its_quick_fix_and_clears(client: LanguageClient) -> None:
    uri = open_doc(client, CONTRACT, version=1)
    baseline = shown(await diagnostics(client, uri))
    key = position_of(TEXT, "evidence_discharged_by:")
    # Delete the "d" of "discharged": `evidence_discharge_by`, one keystroke.
    edit(client, uri, 2, key.line, key.character + 18, key.character + 19, "")
    diags = await diagnostics(client, uri, lambda d: any(x.code == "PV101" for x in d))
    typo = next(d for d in diags if d.code == "PV101")
    assert "unknown key `evidence_discharge_by`" in typo.message
    assert typo.range.start == key
    assert typo.range.end == types.Position(key.line, key.character + len("evidence_discharge_by"))
    assert typo.severity == types.DiagnosticSeverity.Error
    assert "evidence_discharged_by" in typo.message  # the hint travels with the message

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=typo.range,
        context=types.CodeActionContext(diagnostics=[typo])))
    fix = next(a for a in actions if a.kind == types.CodeActionKind.QuickFix)
    assert fix.title == "rename `evidence_discharge_by` to `evidence_discharged_by`"  # the schema check's Finding.fix
    (text_edit,) = fix.edit.changes[uri]
    assert text_edit.new_text == "evidence_discharged_by" and text_edit.range == typo.range

    # Apply the quick fix as the editor would: the finding clears, the rest is as before.
    edit(client, uri, 3, key.line, key.character, key.character + len("evidence_discharge_by"),
         text_edit.new_text)
    diags = await diagnostics(client, uri, lambda d: not any(x.code == "PV101" for x in d))
    assert shown(diags) == baseline


async def test_a_wrong_claim_is_reported_at_the_claimed_value(client: LanguageClient) -> None:
    uri = open_doc(client, CONTRACT)
    await diagnostics(client, uri)
    value = position_of(TEXT, "value: 21.64", len("value: "))
    edit(client, uri, 2, value.line, value.character, value.character + 5, "31.64")
    diags = await diagnostics(client, uri, lambda d: any(x.code == "PV310" for x in d))
    wrong = next(d for d in diags if d.code == "PV310")
    assert wrong.range.start == value and "21.6" in wrong.message
    replace_all(client, uri, TEXT, 3)
    diags = await diagnostics(client, uri, lambda d: not any(x.code == "PV310" for x in d))
    assert shown(diags) == expected()


async def hover_at(client: LanguageClient, uri: str, position: types.Position) -> str:
    result = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), position))
    assert result is not None, f"no hover at {position}"
    return result.contents.value


async def test_hover(client: LanguageClient) -> None:
    uri = open_doc(client, CONTRACT)
    await diagnostics(client, uri)
    formula = await hover_at(client, uri, position_of(TEXT, '"2·ln(vocab_size)"', 3, occurrence=1))
    assert "pv reads: `2 · ln(vocab_size)`" in formula
    assert "at vocab_size = 50257: **21.649810" in formula and "claimed 21.64 ± 0.01" in formula
    statement = await hover_at(client, uri, position_of(TEXT, "val_loss[N] ≤ 2.0", 2))
    assert "at N = 1, val_loss = [3.5, 7.1]: **false** (claimed false)" in statement
    evidence = await hover_at(client, uri, position_of(TEXT, "test_metrics.py::test_every_step", 5))
    assert "tests/reference/test_metrics.py:" in evidence and "**counts** as evidence" in evidence
    ident = await hover_at(client, uri, position_of(TEXT, "(INV-TRAIN-001)", 3))
    line = TEXT[:TEXT.index("id: INV-TRAIN-001")].count("\n") + 1
    assert f"invariant, defined on line {line}" in ident and "per-step metrics" in ident
    code = await hover_at(client, uri, position_of(TEXT, "(PV510)", 3))
    assert code.startswith("**PV510 placeholder-loss (default severity: error)**")
    assert "defined in: pv/runcheck/rules.py" in code  # all of `pv explain PV510`


async def test_definition(client: LanguageClient) -> None:
    uri = open_doc(client, CONTRACT)
    await diagnostics(client, uri)
    test_file = REPO_ROOT / "tests" / "reference" / "test_metrics.py"
    result = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(uri), position_of(TEXT, "test_metrics.py::test_every_step", 20)))
    source = test_file.read_text(encoding="utf-8")
    def_line = source[:re.search(r"def test_every_step_record_has_all_fields", source).start()].count("\n")
    assert result.uri == test_file.as_uri() and result.range.start.line == def_line

    result = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(uri), position_of(TEXT, "(INV-TRAIN-005)", 4)))
    assert result.uri == uri and result.range.start == position_of(TEXT, "INV-TRAIN-005\n")

    result = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(uri), position_of(TEXT, "formulas: [non_divergence", 13)))
    assert result.uri == uri and result.range.start == position_of(TEXT, "non_divergence:")


async def complete(client: LanguageClient, uri: str, position: types.Position) -> list[str]:
    result = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), position))
    return [item.label for item in result.items]


async def test_completion(client: LanguageClient) -> None:
    uri = open_doc(client, CONTRACT)
    await diagnostics(client, uri)
    # A new evidence entry being typed: test node ids of the repository.
    entry = position_of(TEXT, "      - tests/reference/test_metrics.py::test_step_fields_match_the_contract")
    edit(client, uri, 2, entry.line, 0, 0, "      - tests/reference/test_metr\n")
    labels = await complete(client, uri, types.Position(entry.line, len("      - tests/reference/test_metr")))
    assert "tests/reference/test_metrics.py::test_every_step_record_has_all_fields" in labels
    assert all("test_metr" in label for label in labels)
    # A closed vocabulary: a gate's verdict.
    verdict = position_of(TEXT, "    verdict: pass", len("    verdict: "))
    edit(client, uri, 3, verdict.line, verdict.character, verdict.character + 4, "")
    assert sorted(await complete(client, uri, verdict)) == ["fail", "pass", "pending"]
    # Formula names where a gate lists its formulas.
    refs = position_of(TEXT, "formulas: [non_divergence", len("formulas: [non"))
    assert await complete(client, uri, refs) == ["non_divergence"]
    replace_all(client, uri, TEXT, 4)


async def test_rapid_edits_are_coalesced_and_stale_results_dropped(client: LanguageClient) -> None:
    uri = open_doc(client, CONTRACT)
    await diagnostics(client, uri)
    key = position_of(TEXT, "evidence_discharged_by:")
    start = len(PUBLISHED)
    for version in range(2, 22):  # ten typos and ten fixes, as fast as the client can send them
        if version % 2 == 0:
            edit(client, uri, version, key.line, key.character + 18, key.character + 19, "")
        else:
            edit(client, uri, version, key.line, key.character + 18, key.character + 18, "d")
    async def final() -> None:
        while not any(u == uri and v == 21 for u, v, _ in PUBLISHED[start:]):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(final(), 30)
    versions = [v for u, v, _ in PUBLISHED[start:] if u == uri]
    assert versions == sorted(versions) and versions[-1] == 21
    assert len(versions) < 20  # edits that arrived during a check were checked together, once
    assert shown(client.diagnostics[uri]) == expected()
