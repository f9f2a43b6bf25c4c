"""Content-addressed cache of the pure checks' findings.

Pure checks (schema, consistency, formulas) depend only on a file's bytes,
so their findings are stored under a key made of those bytes, the file's
display name, pv's version and the schemas' digest. Checks that read other
files (peer files, test evidence) always run. The cache lives in
`.pv_cache/` at the repository root by default (like `.pytest_cache`);
deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pv import __version__
from pv.core.atomic import write_text_atomic
from pv.core.findings import Finding

CACHE_FORMAT = 2


@lru_cache(maxsize=1)
def _schema_digest() -> str:
    from pv.checks.schema.files import schema_dir

    digest = hashlib.sha256()
    for path in sorted(schema_dir().glob("*.json")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def machine_key() -> str:
    """A random key kept outside every repository (`~/.cache/pv/cache-key`), part of each cache key.

    `.pv_cache/` sits in the checkout, and a pull request can commit entries there
    (`git add -f`); without a key it cannot know, it could plant an empty result
    for a broken contract under the key pv would compute. If the key file cannot
    be kept, this process uses a key of its own (nothing is reused, nothing is trusted).
    """
    path: Path | None = None
    try:
        path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pv" / "cache-key"
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except (OSError, RuntimeError, UnicodeDecodeError):  # no key yet; RuntimeError: no home directory
        pass
    key = secrets.token_hex(32)
    if path is not None:
        try:
            write_text_atomic(path, key + "\n")
            os.chmod(path, 0o600)
        except OSError:
            pass
    return key


def settings_key(config: object) -> str:
    """The config values the pure checks read (a repository's vocabularies, aliases, strict_versions)."""
    from pv.core.vocabulary import config_aliases, config_vocabularies, strict_versions

    return json.dumps({"vocabularies": config_vocabularies(config), "aliases": config_aliases(config),
                       "strict_versions": strict_versions(config)}, sort_keys=True)


class ResultCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory / f"v{CACHE_FORMAT}"
        self.secret = machine_key()  # computed here, so worker processes share it

    def key(self, display_name: str, text: str, checks: tuple[str, ...], settings: str = "") -> str:
        """`settings`: the config values that change the pure checks' findings (see `settings_key`)."""
        digest = hashlib.sha256()
        for part in (self.secret, __version__, _schema_digest(), display_name, ",".join(checks), settings, text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[list[Finding], list[str]] | None:
        """(findings of the pure checks, impure checks that need the parsed document) or None."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return [Finding.from_dict(item) for item in data["findings"]], list(data["needs"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged entry: recompute

    def put(self, key: str, findings: list[Finding], needs: list[str]) -> None:
        try:
            payload = {"findings": [f.to_dict() for f in findings], "needs": needs}
            write_text_atomic(self._path(key), json.dumps(payload), durable=False)  # recomputed if lost
        except OSError:
            pass  # a read-only checkout still validates, just without caching
