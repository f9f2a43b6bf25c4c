"""Rule codes PV3xx: formulas. Imports nothing heavy (listed in pv.core.rules.RULE_MODULES)."""

from __future__ import annotations

from pv.core.findings import Severity
from pv.core.rules import register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

register("PV300", "formula-corpus-summary", I, "How pv read a kernel contract's formulas.",
         "Kernel contracts write formulas as free text in `equations.*.formula`, the equation's `domain`, "
         "`codomain`, `invariants`, `preconditions` and `postconditions`, `proof_obligations[].formal` and "
         "`.property`, and `falsification_tests[].prediction`. pv reads each with its loose notation "
         "(qualifiers such as `for all i` / `when P`, `≈`, `mod`, Σ/∏ reductions, norms, sets and "
         "intervals, shape literals `[a, b]`, `a if P else b`, number suffixes 7.62B / 1.5K / 545.0M "
         "and, where the text speaks of bytes, KB/MB/GB/KiB/MiB/GiB, annotations such as `(broadcast)` "
         "and `2(norm)`), tells prose from formulas, and evaluates every closed comparison (PV350). "
         "This info says how many it read, how many statements it evaluated, and the most common "
         "reasons the rest were not understood (the grammar's own words). Mark a string as prose with "
         "`prose: true` (or `prose: [field, …]`) on its equation, obligation or test. `pv formulas FILE` "
         "shows every reading.")
register("PV301", "formula-syntax", E, "A formula does not parse.",
         "The message points at the exact character where pv's grammar stopped and says what it "
         "expected. pv reads `2·ln(V)`, `2.0 × ln(vocab_size)`, `x^2`, `x²`, `√(d_k)`, `|x|`, "
         "`max(a, b)`, `exp`, `log2`, Greek letters, subscripts (`x_1`, `x₁`, `m_{t-1}`), indexing "
         "(`val_loss[N-1]`), comparisons (≤ < = ≠ ≥ >) and connectives (∧ ∨ ¬ ⟹ ⟺). Function calls are "
         "limited to pv's list (ln, log, log2, log10, exp, sqrt, abs, max, min, floor, ceil, sin, cos, "
         "tan, tanh); nothing in a formula is ever executed.")
register("PV302", "formula-limit", E, "A formula exceeds a safety limit.",
         "Contracts come from pull requests, so pv refuses formulas that could exhaust time or memory "
         "instead of computing them: more than 1000 characters or 300 tokens, nesting deeper than 40, "
         "number literals over 40 digits, or a constant exponent above 1000 (`9**9**9`). Simplify the "
         "formula.")
register("PV303", "undeclared-symbol", E, "A formula uses a name that is neither a symbol nor a formula.",
         "Every free name in a formula must be declared under `formulas.symbols` with its domain "
         "(`vocab_size: integer ≥ 2`) or be the name of another definition. `pi` and `e` are constants "
         "unless declared. The message suggests the closest known name.")
register("PV304", "unused-symbol", W, "A declared symbol is used by no formula.",
         "An unused declaration is usually a leftover or a typo in the formula that should use it. "
         "Remove the symbol or use it.")
register("PV305", "formula-redefined", E, "A name is defined twice (as two formulas, or as a formula "
         "and a symbol).", "A formula is written once and referred to by name. Two definitions "
         "under one name (in `definitions` and `obligations`, or as a symbol too) make references "
         "ambiguous. Rename one.")
register("PV306", "formula-cycle", E, "Definitions refer to each other in a cycle.",
         "A definition may use other definitions, but not itself, directly or through others. Break the "
         "cycle.")
register("PV307", "bad-domain", E, "A symbol's domain does not parse or is empty.",
         "Domains read `integer ≥ 2`, `natural`, `real > 0`, `real in [0, 1]`, `integer in [1, 10)`, "
         "`real > 0, ≤ 100` or `sequence of real > 0` (for indexed symbols). The message points at the "
         "offending character.")
register("PV308", "formula-type", E, "A formula mixes numbers, statements and sequences (dimensionally "
         "silly).", "Arithmetic needs numbers, connectives need statements (`a ≤ b`), only `sequence of` "
         "symbols can be indexed and only by integer expressions, a whole sequence cannot be compared, and "
         "an obligation must be a statement. Units are not checked.")
register("PV310", "claim-wrong", E, "A numeric claim does not match its formula.",
         "pv evaluates the formula at the claim's point with exact arithmetic and compares it with the "
         "claimed value within the tolerance (explicit `tolerance`, `value: \"21.64 ± 0.01\"`, or by "
         "default one unit in the last written decimal). The message gives the true value. Fix the "
         "value or the formula.")
register("PV311", "claim-invalid", E, "A claim cannot be evaluated as written.",
         "A claim must give a value to every symbol the formula depends on (and nothing else), inside "
         "each symbol's domain, and its value must be a number for a numeric formula or true/false for "
         "a statement.")
register("PV320", "obligation-refuted", E, "An obligation is false somewhere in its domain.",
         "pv found a point of the domain where the obligation fails and confirmed it with exact "
         "arithmetic. The message gives the counterexample and the values of both sides. Fix the "
         "formula, its direction, or narrow the domains.")
register("PV321", "obligation-undecided", W, "An obligation could be neither proved nor refuted.",
         "sympy found no proof in its time limit and a search of the domain (boundaries, small and "
         "large values, random samples) found no counterexample; the message says how many points were "
         "tried. Restate the obligation so sympy can solve it, or narrow the domains.")
register("PV322", "obligation-proved", I, "An obligation is proved over its whole domain.",
         "sympy proved the obligation using the symbols' domains as assumptions; the message says how.")
register("PV330", "unknown-formula-ref", E, "An invariant or gate refers to a formula that does not "
         "exist.", "`invariants[].formulas` and `gates[].formulas` list names of formulas defined "
         "under the contract's `formulas:` section. Fix the name or define the formula.")
register("PV340", "bad-binding", E, "A formula's binding is malformed.",
         "`bind.function` must be `package.module:function` and every argument must map to a symbol "
         "of the formula, a number, `{value: …}`, or `{call: package.module:name, args: {…}}`.")
register("PV341", "binding-import", E, "`pv verify` could not import or call a bound implementation.",
         "The module or attribute named by `bind.function` (or an argument's `call`) is missing, or "
         "importing it failed. Fix the name or install what it needs.")
register("PV342", "binding-mismatch", E, "A bound implementation disagrees with its formula.",
         "`pv verify` evaluated the implementation and the formula on generated points of the domain "
         "(boundaries included) and they differ beyond the tolerance. The message gives the first "
         "disagreement with its inputs.")
register("PV343", "binding-verified", I, "A bound implementation agrees with its formula.",
         "`pv verify` compared the implementation with its formula on the reported number of points "
         "and found no disagreement.")
register("PV350", "formula-false", E, "A closed statement in a contract's text is false.",
         "pv evaluates every comparison whose two sides have no free names, or only names the same "
         "equation gives a number (`domain: \"V=152064, d=3584\"`), exactly: `2+2+12+128 = 144`, "
         "`n_h mod n_kv = 28 mod 4 = 0` (every link of a chain), `[4*128, 3584] = [512, 3584]`. `=` is "
         "exact, except that a side written as a decimal with fractional digits (`5.286`) may differ by "
         "one unit in its last digit; `≈` holds within one unit in the last digit of a number side or 1 % "
         "of the larger side, whichever is larger; a statement's own `within 1e-5` (absolute) or `within 2%` "
         "(relative to the larger side) replaces both. Suffixes: K = 10^3, M = 10^6, B = 10^9, T = 10^12; "
         "KB/MB/GB/TB = 10^3…10^12 and KiB/MiB/GiB/TiB = 2^10…2^40 bytes (only where the text speaks of "
         "bytes or memory). Values that are not rational are compared at 50 digits and a comparison too "
         "close to call is not judged. The message gives both sides' values.")
register("PV351", "formula-placeholder", W, "An obligation's `formal` holds a placeholder.",
         "`proof_obligations[].formal` exists to hold a formula; `TBD`, `TODO`, `…`, `—` or an empty string "
         "there states nothing and is never counted as a parsed formula. (A placeholder in an equation's "
         "`formula` is PV602.)")
register("PV352", "ambiguous-division", W, "`/` followed by an implicit product (`x/2y`).",
         "pv, like most calculators, reads `x/2y` as (x/2)·y, but most authors mean x/(2y). Add brackets "
         "to say which: `x/(2y)` or `(x/2)·y`.")
register("PV353", "formula-restated-differently", W, "A formula written outside `formulas:` matches no "
         "definition.", "A contract with a `formulas:` section may restate a defined formula elsewhere in "
         "its text (the repo's contract writes `2·ln(vocab_size)` in `training_regime` and in "
         "`formulas.definitions`). pv reads every whole string outside the section that is a formula over "
         "the declared symbols and checks that it is one of the definitions, so the two cannot drift "
         "apart. The message names the closest definition.")
register("PV354", "shape-mismatch", E, "Shapes in a contract's formula do not fit together.",
         "pv reads shapes where authors write them: shape literals `[h] @ [V, h]^T → [V]` and memberships "
         "`A ∈ ℝ^{m×r}, B ∈ ℝ^{r×n}, A @ B ∈ ℝ^{m×n}` (in the same string or the equation's `domain`). `@` "
         "needs equal inner dimensions and gives the outer ones; `^T` swaps the last two. Dimensions are "
         "equal when written the same or equal as numbers once the equation's values are bound; the message "
         "names the two that differ.")
