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
import stat
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
    """The config values the pure checks read (vocabularies, aliases, strict_versions, load limits)."""
    from pv.core.vocabulary import config_aliases, config_vocabularies, strict_versions

    limits = getattr(config, "limits", None)  # max_depth and max_file_bytes change what loads at all
    return json.dumps({"vocabularies": config_vocabularies(config), "aliases": config_aliases(config),
                       "strict_versions": strict_versions(config),
                       "limits": repr(limits) if limits is not None else None}, sort_keys=True)


def _is_real_dir(path: Path) -> bool | None:
    """True for a directory that is not a symbolic link, False for anything else, None when absent."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return None
    except OSError:
        return False


def _inside(path: Path, root: Path) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _default_dir_is_safe(directory: Path, root: Path) -> bool:
    """The default cache (ROOT/.pv_cache) is used only when it is, really, inside the root.

    A pull request can commit `.pv_cache` as a symbolic link to anywhere; pv must
    then neither read planted entries from there nor write into it.
    """
    if not _inside(directory, root):
        return False
    probe = Path(os.path.abspath(directory))
    top = Path(os.path.abspath(root))
    while probe != top and top in probe.parents:
        if _is_real_dir(probe) is False:
            return False
        probe = probe.parent
    return True


def real_dirs(base: Path, path: Path, *, create: bool) -> bool:
    """Every directory from `base` down to `path`'s parent is a real directory, no symbolic link
    (each made when `create`): nothing under a cache directory may lead elsewhere."""
    directories = [base] + [base.joinpath(*path.relative_to(base).parts[:i])
                            for i in range(1, len(path.relative_to(base).parts))]
    for directory in directories:
        state = _is_real_dir(directory)
        if state is None and create:
            try:
                directory.mkdir(parents=directory == base)
            except FileExistsError:
                pass
            except OSError:
                return False
            state = _is_real_dir(directory)
        if not state:
            return False
    return True


def _valid_finding(item: object) -> Finding:
    """A Finding from a cache entry, or TypeError/ValueError when any field has the wrong shape."""
    if not isinstance(item, dict):
        raise TypeError("not an object")
    finding = Finding.from_dict(item)
    ints = (finding.line, finding.col)
    optional_ints = (finding.end_line, finding.end_col)
    if (not all(type(v) is int and v >= 0 for v in ints)
            or not all(v is None or (type(v) is int and v >= 0) for v in optional_ints)
            or not all(isinstance(v, str) for v in (finding.file, finding.code, finding.message, finding.path))
            or not (finding.hint is None or isinstance(finding.hint, str))):
        raise TypeError("a field has the wrong type")
    from pv.core import rules

    rules.get(finding.code)  # KeyError for a code pv does not know
    if finding.fix is not None:
        for edit in finding.fix.edits:
            if not all(type(v) is int for v in (edit.line, edit.col, edit.end_line, edit.end_col)) \
                    or not isinstance(edit.new_text, str):
                raise TypeError("a fix edit has the wrong type")
    return finding


class ResultCache:
    """Findings of the pure checks by content key; `root` makes it the default, in-repository cache.

    The cache never follows a symbolic link inside its own tree (a shard
    directory linked elsewhere is not used), and with `root` it is not used at
    all unless its real path is inside the root. A missing, damaged or
    malformed entry is a miss.
    """

    def __init__(self, directory: Path, *, root: Path | None = None) -> None:
        self.base = directory
        self.directory = directory / f"v{CACHE_FORMAT}"
        self.secret = machine_key()  # computed here, so worker processes share it
        self.usable = root is None or _default_dir_is_safe(directory, root)

    def key(self, display_name: str, text: str, checks: tuple[str, ...], settings: str = "") -> str:
        """`settings`: everything besides the text that changes the pure findings (e.g. load limits)."""
        digest = hashlib.sha256()
        for part in (self.secret, __version__, _schema_digest(), display_name, ",".join(checks), settings, text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _tree_is_safe(self, path: Path, *, create: bool) -> bool:
        return real_dirs(self.base, path, create=create)

    def get(self, key: str) -> tuple[list[Finding], list[str]] | None:
        """(findings of the pure checks, impure checks that need the parsed document) or None."""
        path = self._path(key)
        if not self.usable or not self._tree_is_safe(path, create=False):
            return None
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as handle:
                data = json.loads(handle.read(16 * 1024 * 1024).decode("utf-8"))
            items, needs = data["findings"], data["needs"]
            if not isinstance(items, list) or not isinstance(needs, list) or \
                    not all(isinstance(n, str) for n in needs):
                return None
            findings = [_valid_finding(item) for item in items]
            return findings, list(needs)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None  # missing, damaged or malformed entry: recompute

    def put(self, key: str, findings: list[Finding], needs: list[str]) -> None:
        path = self._path(key)
        if not self.usable:
            return
        try:
            if not self._tree_is_safe(path, create=True):
                return
            payload = {"findings": [f.to_dict() for f in findings], "needs": needs}
            write_text_atomic(path, json.dumps(payload), durable=False)  # recomputed if lost
        except OSError:
            pass  # a read-only checkout still validates, just without caching
