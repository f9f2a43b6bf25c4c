"""Inputs the long fuzz campaign found, kept as regression tests."""

from __future__ import annotations

from pathlib import Path

from pv.core.config import Config
from pv.core.engine import CheckContext, validate_file


def test_a_peer_contract_name_longer_than_the_os_allows_is_a_finding(tmp_path: Path) -> None:
    # Campaign seed 11024591: `softmax-k999…9ernel-v1` (300 characters) in `depends_on` was PV900
    # (OSError: File name too long) from the peer-files check.
    (tmp_path / "contracts").mkdir()
    path = tmp_path / "contracts" / "c-v1.yaml"
    path.write_text("metadata:\n  version: \"1.0.0\"\n  depends_on: [softmax-k" + "9" * 300 + "ernel-v1]\n")
    findings = validate_file(path, CheckContext(config=Config(root=tmp_path))).findings
    assert not [f for f in findings if f.code == "PV900"], findings
    assert [f.line for f in findings if f.code == "PV203"] == [3]


def test_a_binding_module_name_longer_than_the_os_allows_is_refused(tmp_path: Path) -> None:
    import pytest

    from pv.checks.formulas.targets import TargetError, check_target

    with pytest.raises(TargetError):
        check_target("m" * 300 + ":f", tmp_path)


CLAIM_BEYOND_EXACT_RANGE = """\
metadata:
  version: "1.0.0"
formulas:
  symbols:
    n: {domain: "integer ≥ 1"}
  definitions:
    f:
      formula: "min(exp(n·65.4 - exp(n)), 1.89)"
      claims:
        - at: {n: 19}
          value: 1.69283853628583137246601711711e-77513339
          tolerance: 1e-8
"""


def test_a_claim_value_with_a_huge_exponent_is_refused_not_expanded(tmp_path: Path) -> None:
    # Campaign seed 777017411: the exact value of `1.69…e-77513339` is a 257-million-bit power of ten;
    # building it ran for minutes in the parent process (a hang, then PV900 when the campaign gave up).
    import subprocess
    import sys

    path = tmp_path / "c-v1.yaml"
    path.write_text(CLAIM_BEYOND_EXACT_RANGE)
    proc = subprocess.run([sys.executable, "-m", "pv", "validate", "--no-cache", "--format", "json", "--root",
                           str(tmp_path), str(path)], capture_output=True, text=True, timeout=120)
    import json

    findings = json.loads(proc.stdout)["findings"]
    assert [(f["code"], f["line"], f["col"]) for f in findings if f["code"].startswith("PV3")] == \
        [("PV311", 11, 18)], findings
    assert "exponent beyond ±4000" in next(f["message"] for f in findings if f["code"] == "PV311")


def test_a_kernel_number_with_a_huge_exponent_is_not_expanded() -> None:
    from pv.checks.formulas.written import exact_decimal

    assert exact_decimal("1e-77513339") is None and exact_decimal("-2.5E+9999999") is None
    assert exact_decimal("0e-99999999") == 0 and exact_decimal("1e-400") is not None
    assert exact_decimal("21.64") * 100 == 2164 and exact_decimal("524K") is None


MAX_OF_A_CANCELLING_LOG = """\
metadata:
  version: "1.0.0"
formulas:
  symbols:
    n: {domain: "integer ≥ 1"}
  definitions:
    f:
      formula: "max(n, log2(tanh(n)))"
      claims:
        - at: {n: 29}
          value: VALUE
          tolerance: 1e-7
"""


def test_max_of_an_argument_sympy_cannot_estimate_is_judged_the_same_under_every_hash_seed(tmp_path: Path) -> None:
    # Campaign seed 777049086: sympy's Max refused `log(tanh(29))/log(2)` as "not comparable" (its 2-digit
    # estimate has no precision) depending on which argument the hash seed made it try first: PV311 in
    # some runs, a pass in others, for the same file.
    import json
    import os
    import subprocess
    import sys

    for value, expected in (("29.0000000000000000000000000000", []), ("29.5", ["PV310"])):
        path = tmp_path / "c-v1.yaml"
        path.write_text(MAX_OF_A_CANCELLING_LOG.replace("VALUE", value))
        for seed in range(6):
            proc = subprocess.run([sys.executable, "-m", "pv", "validate", "--no-cache", "--format", "json",
                                   "--root", str(tmp_path), str(path)], capture_output=True, text=True, timeout=120,
                                  env={**os.environ, "PYTHONHASHSEED": str(seed)})
            codes = [f["code"] for f in json.loads(proc.stdout)["findings"] if f["code"].startswith("PV31")]
            assert codes == expected, (value, seed, codes)
