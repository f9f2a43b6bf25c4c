"""Lifecycle tests (edit, bump, diff, --fix, new, graph, coverage): shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lifecycle_helpers import REPO_ROOT


@pytest.fixture
def corpus_dir() -> Path:
    """The shared corpus (../shared/corpus, or $PV_CORPUS); skip when absent."""
    candidate = Path(os.environ.get("PV_CORPUS") or REPO_ROOT.parent / "shared" / "corpus")
    if not candidate.is_dir():
        pytest.skip("../shared/corpus is not present on this machine")
    return candidate
