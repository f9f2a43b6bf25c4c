"""The server's parts without a client: engine entry, formula memo, completion context, quick fixes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from pv.core.config import Config, load_config
from pv.core.engine import CheckContext, validate_file, validate_text
from pv.core.findings import Finding, Fix, Severity, TextEdit
from pv.lsp import actions
from pv.lsp.checking import Checker, FormulaMemo
from pv.lsp.completion import context_at

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT = REPO_ROOT / "contracts" / "training-loop-pretrain-v1.yaml"
TEXT = CONTRACT.read_text(encoding="utf-8")


def test_validate_text_is_validate_file_on_the_same_text() -> None:
    # Formulas skipped here: their findings through the server are compared with validate_text below.
    ctx = CheckContext(load_config(REPO_ROOT), skip=frozenset({"formulas"}))
    from_disk = validate_file(CONTRACT, ctx)
    in_memory = validate_text(CONTRACT, TEXT, ctx)
    assert in_memory.findings == from_disk.findings and in_memory.file == from_disk.file
    assert in_memory.doc is not None and from_disk.doc is None


def test_validate_text_applies_the_size_cap_and_refuses_lone_surrogates(tmp_path: Path) -> None:
    ctx = CheckContext(Config(root=tmp_path))
    assert [f.code for f in validate_text(tmp_path / "x.yaml", "a" * (2 * 1024 * 1024 + 1), ctx).findings] \
        == ["PV008"]
    assert [f.code for f in validate_text(tmp_path / "x.yaml", "a: 1\nb: \ud800\n", ctx).findings] == ["PV006"]
    assert validate_text(tmp_path / "x.yaml", "a: 1\nb: \ud800\n", ctx).findings[0].line == 2


EDITS = [
    ("pv maintainers", "pv maintainerz", True),  # prose far from the formulas
    ("# Contract C-PV-PRETRAIN", "\n# Contract C-PV-PRETRAIN", True),  # every line moves: findings move too
    ("  - id: INV-TRAIN-013", "\n  - id: INV-TRAIN-013", True),  # between the formulas and the gates' lists
    ("value: 21.64", "value: 31.64", False),  # a claim
    ("epoch_zero_ok_from_scratch,\n               epoch_zero_cap_from_scratch,",
     "epoch_zero_ok_from_scratch,\n               epoch_zero_cap_from_scratchh,", False),  # a formula reference
]


@pytest.fixture(scope="module")
def primed() -> tuple[Checker, FormulaMemo]:
    checker, memo = Checker(load_config(REPO_ROOT)), FormulaMemo()
    checker.check(CONTRACT, TEXT, memo)
    return checker, memo


@pytest.mark.parametrize(("old", "new", "reused"), EDITS)
def test_formula_findings_are_reused_only_when_their_input_is_unchanged(primed, old: str, new: str,
                                                                        reused: bool) -> None:
    checker, memo = primed[0], FormulaMemo(primed[1].key, primed[1].lines, primed[1].findings)
    edited = TEXT.replace(old, new, 1)
    assert edited != TEXT
    outcome = checker.check(CONTRACT, edited, memo)
    assert outcome.formulas_reused == reused
    assert outcome.findings == sorted(validate_text(CONTRACT, edited, CheckContext(load_config(REPO_ROOT))).findings)


def test_config_select_and_ignore_apply_as_in_pv_validate(tmp_path: Path) -> None:
    text = TEXT.replace("evidence_discharged_by:", "evidence_discharge_by:", 1)
    no_formulas = frozenset({"formulas"})
    ignoring = Checker(Config(root=REPO_ROOT, ignore=("PV101",)), no_formulas).check(CONTRACT, text)
    assert "PV101" not in {f.code for f in ignoring.findings}
    assert "PV101" in {f.code for f in Checker(Config(root=REPO_ROOT), no_formulas).check(CONTRACT, text).findings}


@pytest.mark.parametrize(("text", "keys", "in_list", "partial"), [
    ("gates:\n  - id: G\n    evidence_discharged_by:\n      - tests/x", ("gates", "evidence_discharged_by"), True,
     "tests/x"),
    ("gates:\n- id: G\n  evidence_discharged_by:\n  - tes", ("gates", "evidence_discharged_by"), True, "tes"),
    ("gates:\n  - id: G\n    verdict: pa", ("gates", "verdict"), False, "pa"),
    ("proof_obligations:\n  - type: bound\n    lean:\n      status: ", ("proof_obligations", "lean", "status"),
     False, ""),
    ("gates:\n  - formulas: [a, b", ("gates", "formulas"), True, "b"),
    ("status: AC", ("status",), False, "AC"),
])
def test_completion_context_from_indentation(text: str, keys: tuple, in_list: bool, partial: str) -> None:
    lines = text.split("\n")
    ctx = context_at(text, len(lines), len(lines[-1]) + 1)
    assert ctx is not None
    assert (ctx.keys, ctx.in_list, ctx.partial) == (keys, in_list, partial)
    assert ctx.col == len(lines[-1]) + 1 - len(partial)


def _pv104(line: int = 2, col: int = 14, end_col: int = 17) -> Finding:
    return Finding("c.yaml", line, col, "PV104", Severity.ERROR, "`gates[0].verdict` is string 'pas'; allowed: pass",
                   hint="did you mean `pass`?", end_line=line, end_col=end_col)


def test_pv104_replacement_is_derived_from_the_hint_only_when_the_text_matches() -> None:
    text = "gates:\n  - verdict: pas\n"
    assert actions.fix_for(_pv104(), text) == Fix("replace `pas` with `pass`", (TextEdit(2, 14, 2, 17, "pass"),))
    assert actions.fix_for(_pv104(), "gates:\n  - verdict: 'p'\n") is None  # quoted: left to the author
    assert actions.fix_for(_pv104(), "gates:\n") is None  # the text moved on


def test_an_attached_fix_wins() -> None:
    attached = Fix("do the thing", (TextEdit(1, 1, 1, 1, "# "),))
    finding = Finding("c.yaml", 1, 1, "PV213", Severity.WARNING, "m", fix=attached)
    assert actions.fix_for(finding, "a: 1\n") is attached
    assert actions.quick_fixes([finding], "a: 1\n", 1, 1, 1, 1) == [(finding, attached)]
    assert actions.quick_fixes([finding], "a: 1\n", 3, 1, 3, 5) == []


def test_pv_lsp_without_the_extra_says_how_to_install_it() -> None:
    code = "import sys; sys.modules['pygls'] = None; from pv.cli import main; sys.argv = ['pv', 'lsp']; main()"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert "pip install 'pv-contracts[lsp]'" in done.stderr


def test_completion_offers_ids_formula_names_and_vocabulary() -> None:
    from pv.core.loader import load
    from pv.lsp.completion import complete

    root = Path(__file__).resolve().parent / "fixtures" / "kernel-repo"
    path = root / "contracts" / "attention-kernel-v1.yaml"
    text = path.read_text(encoding="utf-8").replace("obligation: ATT-INV-001", "obligation: FAL")
    doc, _ = load(path, root)
    line = text[:text.index("obligation: FAL")].count("\n") + 1
    items = complete(text, doc, line, len("    obligation: FAL") + 1, root)
    assert [(i.label, i.col, i.end_col) for i in items] == [("FALSIFY-ATT-001", 17, 20), ("FALSIFY-ATT-002", 17, 20)]

    repo_doc, _ = load(CONTRACT, REPO_ROOT)
    text = TEXT.replace("verdict: pass", "verdict: ", 1)
    line = text[:text.index("verdict: \n")].count("\n") + 1
    assert {i.label for i in complete(text, repo_doc, line, len("    verdict: ") + 1, REPO_ROOT)} == \
        {"pass", "fail", "pending"}
    extended = SimpleNamespace(vocabularies={"gates.verdict": ["waived"]})  # a repository's own value
    assert "waived" in {i.label for i in complete(text, repo_doc, line, len("    verdict: ") + 1, REPO_ROOT, extended)}
    line = TEXT[:TEXT.index("    formulas: [non_divergence")].count("\n") + 1
    labels = [i.label for i in complete(TEXT, repo_doc, line, len("    formulas: [non_divergence, epoch_zero_ok") + 1,
                                        REPO_ROOT)]
    assert labels == ["epoch_zero_ok_finetune", "epoch_zero_ok_from_scratch"]


def test_a_bad_config_is_reported_once_and_the_defaults_are_used(tmp_path: Path) -> None:
    from pv.lsp.session import Session

    (tmp_path / "pyproject.toml").write_text('[tool.pv]\ncontract_dirs = ["../elsewhere"]\n', encoding="utf-8")
    session = Session(lambda *args: None)
    config = session.config_for(tmp_path)
    assert config.contract_dirs == ("contracts",) and not config.errors
    assert len(session.notes) == 1 and "outside the repository root" in session.notes[0]
    session.config_for(tmp_path)
    assert len(session.notes) == 1
    assert Session.wants(tmp_path / "Untitled-1", "yaml") and not Session.wants(tmp_path / "notes.txt", "plaintext")
    session.shutdown()


def test_test_ids_come_from_the_repository_only(tmp_path: Path) -> None:
    from pv.lsp.testids import node_ids

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_one():\n    assert 1\n\n\ndef helper():\n    pass\n",
                                                  encoding="utf-8")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "test_vendored.py").write_text("def test_x():\n    assert 1\n", encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "test_out.py").write_text("def test_out():\n    assert 1\n", encoding="utf-8")
    (tmp_path / "linked").symlink_to(outside, target_is_directory=True)
    assert node_ids(tmp_path) == [("tests/test_a.py::test_one", 1)]


def test_only_slow_documents_are_debounced() -> None:
    from pv.lsp.session import OpenDoc, _debounce

    doc = OpenDoc("file:///c.yaml", CONTRACT, REPO_ROOT, TEXT, 1)
    for took, waits in ((0.0, 0.0), (0.02, 0.0), (0.1, 0.1), (3.0, 0.25)):
        doc.last_seconds = took
        assert _debounce(doc) == waits


def test_skipped_checks_do_not_run(tmp_path: Path) -> None:
    """The `skip` initialization option, as `pv validate --skip`: evidence is not even looked at."""
    from pv.lsp.session import Session

    text = TEXT.replace("tests/reference/test_metrics.py::test_every_step", "tests/nowhere.py::test_every_step", 1)
    session = Session(lambda *args: None, skip=frozenset({"evidence", "formulas"}))
    skipped = session.checker_for(REPO_ROOT).check(CONTRACT, text)
    full = Checker(load_config(REPO_ROOT), frozenset({"formulas"})).check(CONTRACT, text)
    assert "PV401" in {f.code for f in full.findings}
    assert not any(f.code.startswith("PV4") for f in skipped.findings)
    session.shutdown()


def test_definition_of_a_name_inside_a_formula_and_hover_of_a_symbol() -> None:
    from pv.core.loader import load
    from pv.lsp.definition import definition
    from pv.lsp.hover import hover

    doc, _ = load(CONTRACT, REPO_ROOT)
    formula = 'formula: "uniform_random_baseline ≤ epoch_zero_cap_from_scratch"'
    line = TEXT[:TEXT.index(formula)].count("\n") + 1
    col = len(TEXT.splitlines()[line - 1].split("formula:")[0]) + len('formula: "uniform_random_baseline ≤ epoch_ze')
    target = definition(TEXT, doc, line, col)
    assert target is not None and target.file == CONTRACT
    assert (target.line, target.col) == (TEXT[:TEXT.index("    epoch_zero_cap_from_scratch:")].count("\n") + 1, 5)
    symbol = TEXT.index("    vocab_size:\n")
    found = hover(TEXT, doc, TEXT[:symbol].count("\n") + 1, 7)
    assert found is not None and found.markdown.startswith("**vocab_size** — symbol, defined here")
    assert "integer ≥ 2" in found.markdown


def test_only_documents_that_read_other_files_are_rechecked_when_files_change(tmp_path: Path) -> None:
    from pv.core.loader import load
    from pv.lsp.session import OpenDoc, Session

    session = Session(lambda *args: None)
    gated = OpenDoc("file:///a.yaml", CONTRACT, REPO_ROOT, TEXT, 1)
    gated.parsed = (TEXT, load(CONTRACT, REPO_ROOT)[0])
    plain_text = 'metadata: {version: "1.0.0"}\n'
    plain = OpenDoc("file:///b.yaml", tmp_path / "b.yaml", tmp_path, plain_text, 1)
    plain.parsed = (plain_text, session.parse(plain, plain_text))
    assert session._reads_other_files(gated) and not session._reads_other_files(plain)
    plain.text = plain_text + "gates: [{id: G-1, evidence_discharged_by: [tests/x.py::test_y]}]\n"
    assert session._reads_other_files(plain)  # edited since its last check
    session.shutdown()
