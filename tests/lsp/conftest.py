"""The language-server tests: the end-to-end ones need the lsp extra and pytest-lsp, else they are skipped."""

from __future__ import annotations

import importlib.util

if all(importlib.util.find_spec(name) for name in ("pygls", "lsprotocol", "pytest_lsp")):
    from tests.lsp.e2e import client  # noqa: F401  (the session-scoped server fixture)
else:
    collect_ignore = ["test_repo_contract.py", "test_kernel_contract.py", "test_robustness.py",
                      "test_watched_files.py"]
