"""Formula results are cached per formula: an edit elsewhere in the file redoes no maths (and imports no sympy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from formula_helpers import write_contract

from pv.checks.formulas.memo import Memo, storable, well_formed

CONTRACT = """
    metadata:
      version: "1.0.0"
      description: "first"
    formulas:
      symbols:
        vocab_size: {domain: "integer ≥ 2"}
      definitions:
        cap:
          formula: "2·ln(vocab_size)"
          claims:
            - at: {vocab_size: 50257}
              value: 21.64
      obligations:
        cap_positive: {formula: "cap > 1"}
"""

RUN = """
import json, sys
from pathlib import Path
from pv.core.config import load_config
from pv.core.cache import ResultCache
from pv.core.engine import CheckContext, validate_file
root = Path(sys.argv[1])
ctx = CheckContext(config=load_config(root), cache=ResultCache(root / '.pv_cache'))
result = validate_file(root / 'c.yaml', ctx)
print(json.dumps({'codes': sorted(f.code for f in result.findings), 'sympy': 'sympy' in sys.modules}))
"""


def _run(root: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", RUN, str(root)], capture_output=True, text=True, check=True,
                         timeout=120)
    return json.loads(out.stdout)


def test_an_edit_elsewhere_reuses_the_formula_results_without_sympy(tmp_path: Path) -> None:
    path = write_contract(tmp_path, CONTRACT)
    first = _run(tmp_path)
    assert first["sympy"] is True and "PV322" in first["codes"]
    path.write_text(path.read_text(encoding="utf-8").replace('"first"', '"second"'), encoding="utf-8")
    second = _run(tmp_path)  # the file changed, so the file cache misses; each formula's result hits
    assert second == {"codes": first["codes"], "sympy": False}
    path.write_text(path.read_text(encoding="utf-8").replace("21.64", "21.74"), encoding="utf-8")
    third = _run(tmp_path)  # the claim changed: its maths is redone
    assert third["sympy"] is True and "PV310" in third["codes"]


def test_results_reached_by_a_limit_are_never_stored() -> None:
    assert storable("obligation", {"status": "proved"})
    assert storable("obligation", {"status": "undecided", "note": "", "complete": True})
    assert not storable("obligation", {"status": "undecided", "note": "the symbolic proof gave up after 2.5 s",
                                       "complete": False})
    assert not storable("obligation", {"status": "undecided", "note": "", "complete": False})
    assert storable("claim", {"ok": True, "actual": "21.64"})


def test_keys_depend_on_every_part_and_on_the_secret(tmp_path: Path) -> None:
    a, b = Memo(tmp_path, "secret-a"), Memo(tmp_path, "secret-b")
    assert a.key("x", "y") != a.key("x", "z") != b.key("x", "y")
    a.put(a.key("k"), {"status": "proved"})
    damaged = next((tmp_path / "formulas").rglob("*.json"))
    damaged.write_text("{not json", encoding="utf-8")
    assert Memo(tmp_path, "secret-a").get(Memo(tmp_path, "secret-a").key("other")) is None


def test_damaged_entries_are_misses() -> None:
    assert well_formed("obligation", {"status": "proved", "method": "m", "points": 3})
    assert not well_formed("obligation", {"status": "maybe"})
    assert not well_formed("obligation", {"status": "refuted", "counterexample": {"x": 1}})
    assert not well_formed("obligation", {"status": "undecided", "points": "many"})
    assert well_formed("claim", {"ok": False, "actual": "2.00", "precise": "2.0"})
    assert not well_formed("claim", {"ok": "yes", "actual": "2"})
    assert not well_formed("claim", ["ok"])
