"""Where the JSON Schemas live: inside the installed package, or the repo's schemas/."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def schema_dir() -> Path:
    package = Path(__file__).resolve().parents[2]  # the pv package
    packaged = package / "schemas"  # wheels ship schemas/ here
    if packaged.is_dir():
        return packaged
    return package.parent / "schemas"  # source checkout / editable
