"""The loose notation of kernel contracts: real corpus strings, each with the meaning pv must read.

Every string below is copied from a contract under ../shared/corpus (the file is named beside it);
the expected text is pv's canonical form (`nodes.show`), i.e. the meaning: brackets say what groups.
"""

from __future__ import annotations

import pytest

from pv.checks.formulas.lexer import FormulaError
from pv.checks.formulas.nodes import show
from pv.checks.formulas.notation import parse_loose
from pv.checks.formulas.pretty import pretty

# (corpus text, meaning) — grouped by notation class.
QUALIFIERS = [
    # softmax-kernel-v1.yaml: a trailing `for all i` quantifies the statement
    ("σ(x)_i > 0 for all i", "∀ i: sigma(x)[i] > 0"),
    # absolute-position-v1.yaml: variables list, then a comment
    ("-1 <= PE(pos, j) <= 1 for all pos, j (Real.sin/cos range)", "∀ pos, j: -1 ≤ PE(pos, j) ≤ 1"),
    # rmsnorm-kernel-v1.yaml style: `when P` is P ⟹ E
    ("sparsity = 0 when W >= seq_len (dense attention)", "(W ≥ seq_len) ⟹ (sparsity = 0)"),
    ("RMS(output / weight) ≈ 1.0 when weight = 1", "(weight = 1) ⟹ (RMS(output / weight) ≈ 1.0)"),
    # rope-kernel-v1.yaml: `for i in [a, b)` is a bounded quantifier
    ("freq_i = base^(-2i/d_k) for i in [0, d_k/2)", "∀ i ∈ [0, d_k / 2): freq_i = (base ^ ((-2 · i) / d_k))"),
    # qwen2-shapes-v1.yaml: `for <model>` is a context, not a quantifier
    ("n_h * d_k = 3584 for Qwen2.5-7B", "(n_h · d_k) = 3584"),
    # asymptotics are kept apart (never judged)
    ("error(n) <= C / n for large n", "(error(n) ≤ (C / n)) for large n"),
    # a leading quantifier
    ("forall t: best_val[t+1] <= best_val[t]", "∀ t: best_val[t + 1] ≤ best_val[t]"),
    # the short names are the variables; the words say what they range over
    ("forall crate C with profile P: ok(C, P)", "∀ C, P: ok(C, P)"),
    ("For step >= warmup_steps: lr = lr_max", "(step ≥ warmup_steps) ⟹ (lr = lr_max)"),
    # a bare `for <word>` that is not a variable of the statement is a context
    ("f(x*_{t+1}) <= f(x*_t) for minimization", "f(x*[t + 1]) ≤ f(x*_t)"),
    # `for i in S` whose i does not occur in the statement is a range in words, not a condition
    ("H(X) = -sum(p_i * log2(p_i)) for i in alphabet", "H(X) = -Σ(p_i · log2(p_i))"),
    # `for some` is not `for all`
    ("||h_l||_inf <= M * ||h_0||_inf for some bound M", "‖h_l‖_{inf} ≤ (M · ‖h_0‖_{inf})"),
]
APPROX_MOD_SUFFIX = [
    # qwen2-e2e-verification-v1.yaml: a label, ≈ and a number suffix
    ("Embedding: 152064 * 3584 ≈ 545.0M", "(152064 · 3584) ≈ 545.0M"),
    ("Per-layer attention: 2*(3584^2) + 2*(512*3584) ≈ 29.4M", "((2 · (3584 ^ 2)) + (2 · (512 · 3584))) ≈ 29.4M"),
    # qwen2-shapes-v1.yaml: mod, chains
    ("28 mod 4 = 0", "(28 mod 4) = 0"),
    ("intermediate / hidden = 18944 / 3584 = 37/7 ≈ 5.286",
     "(intermediate / hidden) = (18944 / 3584) = (37 / 7) ≈ 5.286"),
    ("step % accumulation_steps == 0", "(step mod accumulation_steps) = 0"),
    # q4k-q6k-superblock-v1.yaml: annotations `2(d)` are the number 2, and a unit word
    ("sizeof(Q4K_superblock) = 2(d) + 2(dmin) + 12(scales) + 128(quants) = 144 bytes",
     "sizeof(Q4K_superblock) = (((2 + 2) + 12) + 128) = 144"),
    ("Per-layer router: 4096 * 128 = 524K", "(4096 · 128) = 524K"),
]
REDUCTIONS = [
    # softmax-kernel-v1.yaml
    ("σ(x)_i = exp(x_i - max(x)) / Σ_j exp(x_j - max(x))",
     "sigma(x)[i] = (exp(x_i - max(x)) / (Σ_{j} exp(x_j - max(x))))"),
    # metrics contracts: Σ with bounds, sum_{…}^{…}
    ("MRR = (1/|Q|) * sum_{q=1}^{|Q|} RR_q", "MRR = ((1 / abs(Q)) · (Σ_{q=1}^{abs(Q)} RR_q))"),
    ("MAE = (1/n) Σ|yᵢ - ŷᵢ|", "MAE = ((1 / n) · Σ(abs(y_i - y_hat_i)))"),
    ("Σᵢⱼ CM[i,j] = n", "(Σ_{ij} CM[i, j]) = n"),
    ("r_j = max_{i in V} h_{ij}", "r_j = (max_{i} h[ij])"),
    ("||x|| = sqrt(Σ x_i²)", "‖x‖ = sqrt(Σ(x_i ^ 2))"),
    # a sum over a product: the reduction keeps its own sign (was read as `*(…)`)
    ("y = Σ x_i · w_i", "y = Σ(x_i · w_i)"),
]
MATRICES_NORMS = [
    ("Attention(Q, K, V) = softmax(QK^T / √d_k) · V", "Attention(Q, K, V) = (softmax(QK^T / sqrt(d_k)) · V)"),
    ("||x_i - mu_{c_i}|| <= ||x_i - mu_j|| for all j", "∀ j: ‖x_i - mu[c_i]‖ ≤ ‖x_i - mu_j‖"),
    ("state_{t+1} = α_t × state_t + k_t ⊗ δ_t", "state[t + 1] = ((alpha_t · state_t) + (k_t ⊗ delta_t))"),
    ("y = x @ W^T", "y = (x @ W^T)"),
    ("embed(token_id) = W_e[token_id, :]", "embed(token_id) = W_e[token_id, :]"),
    ("[n_kv * d_k, hidden] = [4*128, 3584] = [512, 3584]", "[n_kv · d_k, hidden] = [4 · 128, 3584] = [512, 3584]"),
    ("shape(bias_add(x, bias)) = shape(x) = (B, D)", "shape(bias_add(x, bias)) = shape(x) = (B, D)"),
]
SETS_LOGIC = [
    ("x ∈ ℝ^n, n ≥ 1", "x ∈ (Reals ^ n); n ≥ 1"),
    # adamw-kernel-v1.yaml: the non-negative reals, not a comparison `R_ ≥ 0^d`
    ("m_hat_t in R^d, v_hat_t in R_>=0^d", "m_hat_t ∈ (R ^ d); v_hat_t ∈ (NonNegReals ^ d)"),
    ("total_params ∈ ℤ⁺", "total_params ∈ PosIntegers"),  # roofline-model-v1.yaml
    # for all i, then a condition: (ε > 0) ⟹ ∀ i: …
    ("|RMSNorm(x)_i| < ∞ for all i when ε > 0", "(epsilon > 0) ⟹ (∀ i: abs(RMSNorm(x)[i]) < inf)"),
    ("y, ŷ ∈ ℝⁿ", "y ∈ (Reals ^ n); y_hat ∈ (Reals ^ n)"),
    ("f ∈ [0,1]ⁿ (probabilities), labels ∈ {0,1}ⁿ", "f ∈ ([0, 1] ^ n); labels ∈ ({0, 1} ^ n)"),
    ("output in R^{seq_len x d_model}", "output ∈ (R ^ (seq_len · d_model))"),
    ("hidden_dim > 0 ∧ num_layers > 0", "(hidden_dim > 0) and (num_layers > 0)"),
    ("(P not in {library, ml-framework} OR docs(C)) AND ok(C)",
     "((P ∉ {library, ml-framework}) or docs(C)) and ok(C)"),
    ("tied => count(untied) - count(tied) = 1", "tied ⟹ ((count(untied) - count(tied)) = 1)"),
    ("mask(i,j) = 1 if |i - j| <= W/2 else 0", "mask(i, j) = (1 if (abs(i - j) ≤ (W / 2)) else 0)"),
    ("P(accept) = 1 if Delta_E < 0, else exp(-Delta_E / T)",
     "P(accept) = (1 if (Delta_E < 0) else exp(-Delta_E / T))"),
    ("beta' > beta (posterior concentration increases with failures)", "beta' > beta"),
]
WORDS = [
    # words naming one quantity (qwen2-shapes-v1.yaml), field access, method calls
    ("Q output dim = n_h * d_k", "Q output dim = (n_h · d_k)"),
    ("Total params ≈ 8.19B", "Total params ≈ 8.19B"),
    ("adamw_kernel.lr == embed_optimizer.lr == current_lr(step)",
     "adamw_kernel.lr = embed_optimizer.lr = current_lr(step)"),
    ("x.exp() > 0", "exp(x) > 0"),
    ("|x| < f32::EPSILON", "abs(x) < f32::EPSILON"),
    ("RMSE ≥ MAE (Jensen's inequality)", "RMSE ≥ MAE"),
    ("Peak VRAM < 8000 MB on yoga", "Peak VRAM < 8000"),
    # qwen3moe-e2e-verification-v1.yaml: a model's name is one name, not Qwen3 − 235·10⁹
    ("P(Qwen3-235B) in [234B, 236B]", "P(Qwen3-235B) ∈ [234B, 236B]"),
]
ALL = QUALIFIERS + APPROX_MOD_SUFFIX + REDUCTIONS + MATRICES_NORMS + SETS_LOGIC + WORDS


@pytest.mark.parametrize(("text", "meaning"), ALL)
def test_corpus_strings_read_with_their_meaning(text: str, meaning: str) -> None:
    assert show(parse_loose(text)[0]) == meaning


@pytest.mark.parametrize(("text", "meaning"), ALL)
def test_round_trip(text: str, meaning: str) -> None:
    """Printing then re-reading gives the same tree, in both the canonical and the readable form."""
    node = parse_loose(text)[0]
    assert show(parse_loose(show(node))[0]) == show(node)
    assert show(parse_loose(pretty(node))[0]) == show(node)


# Strings pv must NOT read as maths: a wrong reading is worse than none.
NOT_UNDERSTOOD = [
    "Memory-bound for small batch (typical inference)",  # not Memory - bound
    "tokens -> [seq_len, 4096] -> ... -> [seq_len, 151936]",  # a pipeline, not an implication
    "has_bias=false => 0 bias tensors",  # a count of tensors, not 0·bias
    "Linear in P",  # English, not membership
    "g(g^{-1}(eta)) = eta",  # an inverse function, not g·(eta)
    "parent_1, parent_2 within search space bounds",  # a list of names is not a statement
    "score = 0 always yields NoDrift",
    "P(C_k) = |{i : y_i = k}| / n",  # set-builder
    "9 GB",  # a byte unit needs a bytes context
    "Expansion ratio is 37/7 (non-integer)",
    # found in a hand-checked sample of corpus readings
    "Per-layer cost linear in d^2",  # English, not membership in d²
    "Predictions only contain labels seen in training",
    "Parameter count: V * d_model (not 2 * V * d_model)",  # not a call d_model(¬…)
    "Longer sequence => more KV cache",  # words joined by an arrow: prose
    "integer in [0, 100]",  # a type, not a quantity named `integer`
]


@pytest.mark.parametrize("text", NOT_UNDERSTOOD)
def test_meaning_changing_readings_are_refused(text: str) -> None:
    try:
        node = parse_loose(text)[0]
    except FormulaError:
        return
    from pv.checks.formulas.kernel import _only_words

    assert _only_words(node), show(node)  # at most a bare word: prose


def test_suffixes_and_byte_units() -> None:
    values = {"7.62B": 7_620_000_000, "1.5K": 1500, "622.3M": 622_300_000, "2T": 2 * 10**12}
    for text, value in values.items():
        node = parse_loose(f"x = {text}")[0]
        assert node.operands[1].value == value
    assert parse_loose("model size = 16GB")[0].operands[1].value == 16 * 10**9
    assert parse_loose("cache bytes = 2GiB")[0].operands[1].value == 2 * 2**30
    with pytest.raises(FormulaError, match="byte unit"):
        parse_loose("speed = 16GB")
    with pytest.raises(FormulaError, match="both a suffix and a symbol"):
        parse_loose("total = 2B + B")


def test_ambiguous_division_is_reported_with_its_span() -> None:
    text = "y = x/2y + a/(2b)"
    _, ambiguous = parse_loose(text)
    assert len(ambiguous) == 1
    start, end = ambiguous[0]
    assert text[start:end] == "/2y"


def test_every_corpus_reading_round_trips(corpus_dir) -> None:
    """Each of the ~1,700 formulas pv reads in the corpus prints and re-reads to the same tree."""
    from pv.checks.formulas.kernel import read_contract
    from pv.core.loader import load

    count = 0
    for path in sorted(corpus_dir.rglob("*.yaml")):
        doc, _ = load(path, corpus_dir)
        if doc is None or not isinstance(doc.data, dict):
            continue
        for reading in read_contract(doc.data):
            if reading.node is None:
                continue
            count += 1
            for form in (show, pretty):
                assert show(parse_loose(form(reading.node))[0]) == show(reading.node), (path, reading.site.text)
    assert count > 1000
