"""Hostile and broken input never crashes or hangs the server, and it keeps serving other documents."""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.e2e import FIXTURES, close, diagnostics, edit, open_doc, position_of

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = FIXTURES / "kernel-repo"
GOOD = ROOT / "contracts" / "attention-kernel-v1.yaml"
GOOD_TEXT = GOOD.read_text(encoding="utf-8")



def big_contract(target: int) -> str:
    """A valid contract of about `target` bytes: many invariants."""
    head = ('contract_id: C-BIG\nversion: 1.0.0\nstatus: DRAFT\nmetadata:\n  version: "1.0.0"\n'
            '  created: "2026-01-01"\n  description: big\n  references: ["generated"]\ngates: []\ninvariants:\n')
    item = ('  - id: INV-BIG-{0:06d}\n    description: "invariant {0} of a generated contract, long enough '
            'to look real"\n    falsifier: "break it"\n')
    parts, size, i = [head], len(head), 0
    while size < target:
        parts.append(item.format(i))
        size += len(parts[-1])
        i += 1
    return "".join(parts)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
HOSTILE_FORMULAS = """\
contract_id: C-HOSTILE
version: 1.0.0
status: DRAFT
metadata: {version: "1.0.0", created: "2026-01-01", description: hostile}
gates: []
formulas:
  symbols:
    n: {domain: "integer ≥ 1"}
  definitions:
    tower:
      formula: "9^9^9^9^9^9^n"
      claims:
        - at: {n: 1}
          value: 1
    deep:
      formula: "%s"
""" % ("(" * 5000 + "n" + ")" * 5000)


async def assert_still_serving(client: LanguageClient, uri: str, within: float) -> None:
    start_time = time.monotonic()
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), position_of(GOOD_TEXT, "FALSIFY-ATT-001", 2)))
    assert hover is not None and "falsification test" in hover.contents.value
    assert time.monotonic() - start_time < within


async def test_bad_documents_get_findings_and_the_server_keeps_serving(client: LanguageClient) -> None:
    good = open_doc(client, GOOD)
    await diagnostics(client, good)
    cases = {
        "malformed-v1.yaml": ('metadata:\n  version: "1.0\n\tbad: [\n', "PV001"),
        "binary-v1.yaml": (bytes(range(256)).decode("latin-1") * 4, "PV001"),
        "oversized-v1.yaml": ("a" * (2 * 1024 * 1024 + 1), "PV008"),
        "bomb-v1.yaml": (BOMB, "PV004"),
        "deep-v1.yaml": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "PV009"),
        "surrogate-v1.yaml": ("a: \ud800\n", "PV006"),
    }
    uris = {name: open_doc(client, ROOT / "contracts" / name, text) for name, (text, _) in cases.items()}
    for name, (_, code) in cases.items():
        diags = await diagnostics(client, uris[name], lambda d: len(d) > 0)
        assert code in {d.code for d in diags}, name
        assert all(d.code != "PV900" for d in diags), name
        close(client, uris[name])
    await assert_still_serving(client, good, within=5)


async def test_a_hostile_formula_is_refused_in_bounded_time(client: LanguageClient) -> None:
    uri = open_doc(client, ROOT / "contracts" / "hostile-v1.yaml", HOSTILE_FORMULAS)
    diags = await diagnostics(client, uri)
    codes = {d.code for d in diags}
    assert "PV302" in codes and "PV900" not in codes
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), position_of(HOSTILE_FORMULAS, "9^9", 1)))
    assert hover is not None and "tower" in hover.contents.value


async def test_a_two_megabyte_contract_does_not_block_other_documents(client: LanguageClient) -> None:
    good = open_doc(client, GOOD)
    await diagnostics(client, good)
    text = big_contract(2_000_000)
    assert 1_900_000 < len(text.encode()) < 2 * 1024 * 1024
    big = open_doc(client, ROOT / "contracts" / "big-v1.yaml", text)
    await asyncio.sleep(0.05)  # its check is running now
    await assert_still_serving(client, good, within=5)
    # An edit to the good document is still checked (after the big one: one check at a time).
    at = position_of(GOOD_TEXT, "type: invariant", len("type: invariant"))
    edit(client, good, 2, at.line, at.character, at.character, "t")
    assert "PV104" in {d.code for d in await diagnostics(client, good, lambda d: any(x.code == "PV104" for x in d))}
    diags = await diagnostics(client, big)
    codes = {d.code for d in diags}
    assert "PV900" not in codes and not any(code.startswith("PV0") for code in codes)  # read, parsed and checked
    close(client, big)


async def test_columns_are_utf16_code_units_after_astral_characters(client: LanguageClient) -> None:
    """pv counts code points; the client (UTF-16 by default) counts an emoji as two units."""
    text = 'metadata: {description: "😀😀", versoin: "1.0.0", created: "2026-01-01"}\n'
    uri = open_doc(client, ROOT / "contracts" / "emoji-v1.yaml", text)
    typo = next(d for d in await diagnostics(client, uri, lambda d: any(x.code == "PV101" for x in d))
                if d.code == "PV101")
    start = len('metadata: {description: "😀😀", '.encode("utf-16-le")) // 2
    assert typo.range == types.Range(types.Position(0, start), types.Position(0, start + len("versoin")))
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=typo.range,
        context=types.CodeActionContext(diagnostics=[typo])))
    (change,) = actions[0].edit.changes[uri]
    assert change.range == typo.range and change.new_text == "version"
