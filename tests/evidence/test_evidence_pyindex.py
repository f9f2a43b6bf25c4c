"""The static Python index: collection, marks, quality, parametrize ids (checked against pytest itself)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pv.checks.evidence.pyindex import index_source

PARAMS = '''
import pytest

CASES = [1, 2.5, -3]


@pytest.mark.parametrize("x", [0, 1])
@pytest.mark.parametrize("y", ["a", "é"])
def test_stacked(x, y):
    assert x >= 0


@pytest.mark.parametrize("x,y", [(1, 2.5), pytest.param(3, None, id="custom"), (True, -1)])
def test_tuples(x, y):
    assert True


@pytest.mark.parametrize("x", ["a", "a", "b1", "b1"])
def test_duplicates(x):
    assert x


@pytest.mark.parametrize("x", CASES)
def test_module_constant(x):
    assert x


@pytest.mark.parametrize(("a", "b"), [({"k": 1}, [1]), (b"raw", 1e-06)], ids=["first", None])
def test_ids_and_objects(a, b):
    assert a


@pytest.mark.parametrize("x", [1, pytest.param(2, marks=pytest.mark.skip)])
def test_param_marks(x):
    assert x
'''


def pytest_ids(tmp_path, source: str) -> dict[str, set[str]]:
    path = tmp_path / "test_params.py"
    path.write_text(source, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          str(path)], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    ids: dict[str, set[str]] = {}
    for line in out.splitlines():
        if "::" in line and "[" in line:
            name = line.split("::", 1)[1]
            func, _, param = name.partition("[")
            ids.setdefault(func, set()).add(param[:-1])
    return ids


def test_parametrize_ids_match_pytest(tmp_path):
    expected = pytest_ids(tmp_path, PARAMS)
    module = index_source(PARAMS)
    for func, ids in expected.items():
        fn = module.functions[(func,)]
        assert fn.param_ids == frozenset(ids), func
    assert module.functions[("test_param_marks",)].param_skips == {"2": "marked skip"}


def test_unknown_parametrize_values_are_not_guessed():
    module = index_source(textwrap.dedent('''
        import pytest
        from elsewhere import VALUES
        @pytest.mark.parametrize("x", VALUES)
        def test_a(x):
            assert x
        @pytest.mark.parametrize("x", [len])
        def test_b(x):
            assert x
    '''))
    assert module.functions[("test_a",)].parametrized and module.functions[("test_a",)].param_ids is None
    assert module.functions[("test_b",)].param_ids is None


@pytest.mark.parametrize("source,reason", [
    ("@pytest.mark.skip\ndef test_a():\n    assert 1\n", "marked skip"),
    ("@pytest.mark.skip(reason='x')\ndef test_a():\n    assert 1\n", "marked skip"),
    ("@pytest.mark.skipif(True, reason='x')\ndef test_a():\n    assert 1\n", "skipif(True)"),
    ("@pytest.mark.xfail(strict=True)\ndef test_a():\n    assert 1\n", "xfail"),
    ("@pytest.mark.xfail(sys.platform == 'win32', reason='x')\ndef test_a():\n    assert 1\n", "xfail (sys"),
    ("@unittest.skip('x')\ndef test_a():\n    assert 1\n", "marked skip"),
    ("def test_a():\n    pytest.skip('later')\n    assert 1\n", "pytest.skip()"),
    ("def test_a():\n    pytest.xfail('known')\n", "pytest.xfail()"),
    ("def test_a():\n    raise unittest.SkipTest('x')\n", "SkipTest"),
    ("pytestmark = pytest.mark.skip\ndef test_a():\n    assert 1\n", "marked skip"),
    ("pytestmark = [pytest.mark.slow, pytest.mark.xfail]\ndef test_a():\n    assert 1\n", "xfail"),
    ("pytest.skip('no gpu', allow_module_level=True)\ndef test_a():\n    assert 1\n", "module"),
])
def test_unconditional_skips(source, reason):
    module = index_source("import pytest, sys, unittest\n" + source)
    fn = module.functions[("test_a",)]
    found = module.skip or fn.skip
    assert found and reason in found


@pytest.mark.parametrize("source", [
    "@pytest.mark.skipif(sys.platform == 'win32', reason='x')\ndef test_a():\n    assert 1\n",
    "@pytest.mark.xfail(False, reason='fixed')\ndef test_a():\n    assert 1\n",
    "def test_a():\n    if not HAVE:\n        pytest.skip('x')\n    assert 1\n",
    "def test_a():\n    torch = pytest.importorskip('torch')\n    assert torch\n",
])
def test_conditional_skips_are_not_flagged(source):
    module = index_source("import pytest, sys\n" + source)
    assert module.skip is None and module.functions[("test_a",)].skip is None


def test_class_marks_apply_to_methods():
    module = index_source(textwrap.dedent('''
        import pytest
        @pytest.mark.skip
        class TestA:
            def test_m(self):
                assert 1
        class TestB:
            pytestmark = pytest.mark.contract("GATE-B")
            def test_m(self):
                assert 1
    '''))
    assert module.functions[("TestA", "test_m")].skip == "marked skip"
    assert module.functions[("TestB", "test_m")].gates == ("GATE-B",)


@pytest.mark.parametrize("body,empty,asserts", [
    ("    pass\n", True, False),
    ("    ...\n", True, False),
    ('    """Docstring only."""\n', True, False),
    ('    """Doc."""\n    pass\n', True, False),
    ("    x = 1\n", False, False),
    ("    assert x\n", False, True),
    ("    with pytest.raises(ValueError):\n        f()\n", False, True),
    ("    with pytest.warns(UserWarning):\n        f()\n", False, True),
    ("    self.assertEqual(1, 1)\n", False, True),
    ("    np.testing.assert_allclose(a, b)\n", False, True),
    ("    torch.testing.assert_close(a, b)\n", False, True),
    ("    check_records(run)\n", False, True),
    ("    if bad:\n        raise AssertionError('bad')\n", False, True),
    ("    if bad:\n        pytest.fail('bad')\n", False, True),
    ("    _helper()\n", False, True),
    ("    _quiet_helper()\n", False, False),
])
def test_empty_and_asserting_bodies(body, empty, asserts):
    source = ("import pytest\n\ndef _helper():\n    assert 1\n\ndef _quiet_helper():\n    return 1\n\n"
              "def test_a(self=None):\n" + body)
    fn = index_source(source).functions[("test_a",)]
    assert (fn.empty, fn.asserts) == (empty, asserts)


def test_recursive_helpers_terminate():
    source = "def a():\n    b()\n\ndef b():\n    a()\n\ndef test_x():\n    a()\n"
    assert index_source(source).functions[("test_x",)].asserts is False


def test_collection_rules():
    module = index_source(textwrap.dedent('''
        def helper():
            assert 1
        class TestA:
            def test_m(self):
                assert 1
            def helper(self):
                pass
        class Helper:
            def test_m(self):
                assert 1
        class TestWithInit:
            def __init__(self):
                pass
            def test_m(self):
                assert 1
    '''))
    assert module.functions[("helper",)].is_test is False
    assert module.functions[("TestA", "test_m")].is_test is True
    assert module.functions[("TestA", "helper")].is_test is False
    assert module.functions[("Helper", "test_m")].is_test is False
    assert module.functions[("TestWithInit", "test_m")].is_test is False


def test_inherited_methods_are_found():
    module = index_source("class Base:\n    def test_m(self):\n        assert 1\n\nclass TestChild(Base):\n    pass\n")
    assert module.find(("TestChild", "test_m")) is module.functions[("Base", "test_m")]


def test_contract_markers():
    module = index_source(textwrap.dedent('''
        import pytest
        pytestmark = pytest.mark.contract("GATE-MOD")
        @pytest.mark.contract("GATE-X", "GATE-Y")
        def test_a():
            assert 1
    '''))
    assert module.functions[("test_a",)].gates == ("GATE-MOD", "GATE-X", "GATE-Y")


@pytest.mark.parametrize("source", ["def test_a(:\n", "x = '\x00'\n" + "(" * 5000 + ")" * 5000])
def test_unparsable_sources_report_an_error(source):
    module = index_source(source)
    assert module.error and "does not parse" in module.error


def test_definitions_under_if_and_try_and_assigned_tests():
    module = index_source(textwrap.dedent('''
        import sys
        if sys.version_info >= (3, 8):
            def test_new():
                assert 1
        else:
            def test_old():
                assert 1
        try:
            import numpy
        except ImportError:
            def test_fallback():
                assert 1
        test_generated = make_test("x")
    '''))
    for name in ("test_new", "test_old", "test_fallback", "test_generated"):
        assert module.functions[(name,)].is_test, name
    assert module.functions[("test_generated",)].asserts  # unknown body: not reported as empty


def test_parametrize_ids_follow_pytest_for_computed_long_and_tuple_values():
    # Checked against pytest 9.2's own collection: a computed value has the id of what it computes
    # (`10**30` -> 1000…, `str(5)` -> 5), so that part is unknown rather than argname+index; strings over
    # 100 characters depend on the pytest version; names given as a tuple take 1-tuples.
    module = index_source(textwrap.dedent(f'''
        import pytest
        @pytest.mark.parametrize("regime,cap", [("finetune", 10.0), ("from_scratch", 2 * math.log(50257))])
        def test_cap(regime, cap):
            assert cap
        @pytest.mark.parametrize("x", ["{"a" * 150}", 1])
        def test_long(x):
            assert x
        @pytest.mark.parametrize(("a",), [(1,), (2,)])
        def test_tuple_names(a):
            assert a
        @pytest.mark.parametrize("f", [lambda: 1])
        def test_lambda(f):
            assert f
    '''))
    from pv.checks.evidence.pyindex import param_id_matches

    cap = module.functions[("test_cap",)].param_ids
    assert param_id_matches("finetune-10.0", cap) and param_id_matches("from_scratch-21.64", cap)
    assert not param_id_matches("finetune-12.0", cap) and not param_id_matches("scratch-21.64", cap)
    long_ids = module.functions[("test_long",)].param_ids
    assert param_id_matches("x0", long_ids) and param_id_matches("a" * 150, long_ids)  # pytest 9 / pytest 8
    assert module.functions[("test_tuple_names",)].param_ids == frozenset({"1", "2"})
    assert module.functions[("test_lambda",)].param_ids == frozenset({"<lambda>"})
