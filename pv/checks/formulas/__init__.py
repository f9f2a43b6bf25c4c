"""Symbolic formula checking: contracts whose maths is checked, not just stored.

Light on import: `pv.checks.formulas.check` and `pv.checks.formulas.rules` pull in no
sympy; the symbolic modules are imported only for contracts with formulas.
"""
