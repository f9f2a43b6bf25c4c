"""End to end on a corpus kernel contract (an excerpt in tests/lsp/fixtures/kernel-repo), and,
when ../shared/corpus is present, on the real files of the corpus."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.e2e import (
    FIXTURES,
    diagnostics,
    edit,
    open_doc,
    position_of,
    replace_all,
    validate_positions,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = FIXTURES / "kernel-repo"
CONTRACT = ROOT / "contracts" / "attention-kernel-v1.yaml"
TEXT = CONTRACT.read_text(encoding="utf-8")


def shown(diags) -> set[tuple[str, int, int]]:
    return {(d.code, d.range.start.line, d.range.start.character) for d in diags}


async def test_diagnostics_match_pv_validate_and_follow_edits(client: LanguageClient) -> None:
    want = validate_positions(CONTRACT, ROOT)
    uri = open_doc(client, CONTRACT)
    assert shown(await diagnostics(client, uri)) == want == {("PV300", 11, 0)}

    # A value outside its closed vocabulary, one keystroke: `type: invariantt`.
    at = position_of(TEXT, "type: invariant", len("type: invariant"))
    edit(client, uri, 2, at.line, at.character, at.character, "t")
    diags = await diagnostics(client, uri, lambda d: any(x.code == "PV104" for x in d))
    bad = next(d for d in diags if d.code == "PV104")
    assert bad.range.start == position_of(TEXT, "invariant\n")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=bad.range,
        context=types.CodeActionContext(diagnostics=[bad])))
    (action,) = actions
    assert action.title == "replace `invariantt` with `invariant`"
    (change,) = action.edit.changes[uri]
    edit(client, uri, 3, change.range.start.line, change.range.start.character, change.range.end.character,
         change.new_text)
    assert shown(await diagnostics(client, uri, lambda d: not any(x.code == "PV104" for x in d))) == want

    # The cited Rust test renamed away: PV402 appears; restored, it clears.
    name = position_of(TEXT, "falsify_att_001_rows_sum_to_one")
    edit(client, uri, 4, name.line, name.character, name.character + len("falsify"), "check")
    await diagnostics(client, uri, lambda d: any(x.code == "PV402" for x in d))
    replace_all(client, uri, TEXT, 5)
    assert shown(await diagnostics(client, uri, lambda d: not any(x.code == "PV402" for x in d))) == want


async def test_hover_definition_and_completion(client: LanguageClient) -> None:
    uri = open_doc(client, CONTRACT)
    await diagnostics(client, uri)
    doc = types.TextDocumentIdentifier(uri)

    hover = await client.text_document_hover_async(types.HoverParams(doc, position_of(TEXT, "Attention(Q", 2)))
    assert "pv reads: `Attention(Q, K, V) = softmax(QK^T / sqrt(d_k)) · V`" in hover.contents.value  # as pv formulas
    hover = await client.text_document_hover_async(types.HoverParams(doc, position_of(TEXT, "for all i\"", 2)))
    assert "pv reads: `∀ i: (Σ_{j} softmax(QK^T / sqrt(d_k))[ij]) = 1`" in hover.contents.value
    hover = await client.text_document_hover_async(types.HoverParams(doc, position_of(TEXT, "lib.rs::tests", 3)))
    assert "crates/attention/src/lib.rs:11" in hover.contents.value and "**counts**" in hover.contents.value

    rust = await client.text_document_definition_async(types.DefinitionParams(
        doc, position_of(TEXT, "lib.rs::tests", 3)))
    assert rust.uri == (ROOT / "crates/attention/src/lib.rs").resolve().as_uri() and rust.range.start.line == 10
    peer = await client.text_document_definition_async(types.DefinitionParams(
        doc, position_of(TEXT, "softmax-kernel-v1", 2)))
    assert peer.uri == (ROOT / "contracts/softmax-kernel-v1.yaml").resolve().as_uri()

    at = position_of(TEXT, "type: bound", len("type: "))
    edit(client, uri, 2, at.line, at.character, at.character + len("bound"), "mono")
    result = await client.text_document_completion_async(types.CompletionParams(
        doc, types.Position(at.line, at.character + 4)))
    assert [item.label for item in result.items] == ["monotonicity"]
    assert result.items[0].text_edit.range == types.Range(at, types.Position(at.line, at.character + 4))
    test = position_of(TEXT, "      - crates/attention")
    edit(client, uri, 3, test.line, 0, 0, "      - crates/\n")
    result = await client.text_document_completion_async(types.CompletionParams(
        doc, types.Position(test.line, len("      - crates/"))))
    assert "crates/attention/src/lib.rs::tests::falsify_att_001_rows_sum_to_one" in [i.label for i in result.items]
    replace_all(client, uri, TEXT, 4)


async def test_real_corpus_files_match_pv_validate(client: LanguageClient, corpus_dir) -> None:
    """The kernel contracts of the corpus, opened in the editor, show what `pv validate` reports."""
    root = corpus_dir / "provable-contracts"
    for name in ("softmax-kernel-v1.yaml", "attention-kernel-v1.yaml", "adamw-kernel-v1.yaml"):
        path = root / "contracts" / name
        want = validate_positions(path, root)
        uri = open_doc(client, path)
        assert shown(await diagnostics(client, uri)) == want, name
