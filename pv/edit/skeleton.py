"""Skeletons of new contracts (`pv new`): each validates with 0 errors, every gate PENDING."""

from __future__ import annotations

import json
import re

FAMILIES = ("gated", "kernel")


def prefix_of(name: str) -> str:
    """`tokenizer-bpe-v1` -> `TOKENIZER-BPE`: the id namespace of a contract."""
    stem = re.sub(r"-v\d+$", "", name)
    return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").upper() or "X"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def gated(name: str, prefix: str, day: str, author: str, schema: str) -> str:
    return f"""\
# yaml-language-server: $schema={schema}
#
# Contract C-{prefix}: what {name} must guarantee. Every gate names the tests that
# discharge it; until then it stays PENDING and `pv validate` reports no error.

contract_id: C-{prefix}
version: "1.0.0"
status: DRAFT

metadata:
  version: "1.0.0"
  created: "{day}"
  updated: "{day}"
  author: {_q(author)}
  description: >
    What the implementation guarantees, in one paragraph.
  references:
    - "TODO: the paper, spec or issue this contract relies on"
  changelog:
    - "1.0.0 ({day}): initial contract."

summary: >
  One paragraph: what the contract guarantees and to whom.

invariants:
  - id: INV-{prefix}-001
    description: >
      A property the implementation must always hold, stated so that it
      can be falsified.
    falsifier: >
      How to show that the property does not hold.

gates:
  - id: GATE-{prefix}-001
    rule: "INV-{prefix}-001 holds on every input the tests try."
    evidence_required: >
      Tests that fail when INV-{prefix}-001 is broken.
    invariants:
      - INV-{prefix}-001
    verdict: pending
    discharge_status: PENDING
    evidence_discharged_by: []
"""


def kernel(name: str, prefix: str, day: str, author: str, schema: str) -> str:
    equation = re.sub(r"[^a-z0-9]+", "_", re.sub(r"-v\d+$", "", name).lower()).strip("_") or "kernel"
    return f"""\
# yaml-language-server: $schema={schema}
#
# Kernel contract for {name}: its equations, the obligations an implementation
# must meet, and the tests that try to falsify them.

metadata:
  version: "1.0.0"
  created: "{day}"
  author: {_q(author)}
  description: "What the kernel computes, in one line."
  references:
    - "TODO: the paper or spec that defines the kernel"
  changelog:
    - "1.0.0 ({day}): initial contract."

equations:
  {equation}:
    formula: "y = x"
    description: "Replace with the kernel's defining equation."
    invariants:
      - "y = x for every input x"

proof_obligations:
  - id: {prefix}-OB-001
    type: invariant
    property: "Output equals input"
    formal: "y = x"

falsification_tests:
  - id: FALSIFY-{prefix}-001
    rule: "Output equals input"
    binds_to: {prefix}-OB-001
    prediction: "y = x for every generated input"
    test: "property test over random inputs"
    if_fails: "the implementation changes its input"

kani_harnesses:
  - id: KANI-{prefix}-001
    obligation: {prefix}-OB-001
    property: "Output equals input"
    bound: 8
    harness: verify_{equation}_identity

qa_gate:
  id: QA-{prefix}
  name: "{name} quality gate"
  checks:
    - "output_equals_input"
  pass_criteria: "every falsification test passes and every Kani harness verifies"
"""
