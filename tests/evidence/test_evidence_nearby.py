"""PV402's hint: what is near a missing test, and a "did you mean" only for the same test."""

from __future__ import annotations

import pytest

from pv.checks.evidence.nearby import hint, nearest, same_test, words


def test_words_split_snake_camel_and_digits() -> None:
    assert words("gate_train_005FromScratch") == ["gate", "train", "005", "from", "scratch"]
    assert words("rejects_index16") == ["rejects", "index", "16"]


@pytest.mark.parametrize(("missing", "candidate"), [
    ("test_every_step_recoded", "test_every_step_recorded"),  # a typo
    ("step_every_recorded", "every_step_recorded"),  # reordered words
    ("test_every_step_recorded", "every_step_recorded"),  # a test_ prefix
    ("falsify_ship_003_cosine", "ship_003_cosine"),
])
def test_the_same_test_under_another_spelling(missing: str, candidate: str) -> None:
    assert same_test(missing, candidate)


@pytest.mark.parametrize(("missing", "candidate"), [
    ("gate_train_005_from_scratch_aborts_above_2_ln_vocab", "gate_train_005_aborts_on_epoch_zero_blowup"),
    ("falsify_gputrain_001_rejects_index_16", "falsify_gputrain_001_rejects_index_99"),  # another number
    ("residency_probe_empty", "pid_residency_probe_empty"),  # another word
    ("test_each_step_recorded", "test_every_step_recorded"),
])
def test_a_test_whose_meaning_differs_is_never_proposed(missing: str, candidate: str) -> None:
    assert not same_test(missing, candidate)
    assert "did you mean" not in hint(missing, [("in `tests`", [candidate, "unrelated_thing"])])


def test_the_hint_always_says_what_is_near() -> None:
    names = ["gate_train_005_aborts_on_epoch_zero_blowup", "gate_train_005_allows_healthy_decrease",
             "checkpoint_roundtrip"]
    text = hint("gate_train_005_from_scratch_aborts_above_2_ln_vocab", [("in `tests`", names)])
    assert "gate_train_005_aborts_on_epoch_zero_blowup" in text and "none is the same test" in text
    assert "checkpoint_roundtrip" not in text  # shares no word
    assert nearest("alpha_beta", ["alpha_gamma", "delta"]) == ["alpha_gamma"]


def test_did_you_mean_only_when_unambiguous() -> None:
    assert hint("test_every_step_recoded", [("in `m`", ["test_every_step_recorded", "test_other"])]) \
        .startswith("did you mean `test_every_step_recorded`?")
    two = hint("step_recorded", [("in `m`", ["test_step_recorded", "prop_step_recorded"])])
    assert "did you mean" not in two and "test_step_recorded" in two


def test_an_empty_scope_falls_back_to_the_wider_one() -> None:
    text = hint("missing_one", [("in `tests`", []), ("in `a.rs`", ["helper", "other"])])
    assert "in `a.rs`" in text and "helper" in text
    assert hint("x", [("in `a.rs`", [])]) == "the file defines no functions or tests"
