"""What `pv diff` needs from git, through the `git` command line.

The git CLI rather than a library: no new dependency, and it behaves exactly
like the git the user (and CI) already runs, shallow clones, worktrees and
detached HEADs included.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 60


class GitError(Exception):
    """git cannot answer: not a repository, an unknown ref, a shallow clone, no git at all."""


@dataclass(frozen=True)
class ChangedFile:
    status: str  # A, M, D (renames are reported as D + A... or R with old_path)
    path: str  # repo-relative (to the root pv runs in), POSIX
    old_path: str | None  # the path at the base (renames), else == path unless added


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, env=env,
                                timeout=TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (pv diff reads history with the git command line)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args[:2])} did not answer within {TIMEOUT_S} s") from None
    if check and result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return result


def _out(result: subprocess.CompletedProcess) -> str:
    return result.stdout.decode("utf-8", "replace").strip()


def ensure_repository(root: Path) -> None:
    result = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    if result.returncode != 0 or _out(result) != "true":
        raise GitError(f"{root} is not inside a git work tree; compare two files with `pv diff OLD NEW`")


def is_shallow(root: Path) -> bool:
    return _out(_git(root, "rev-parse", "--is-shallow-repository", check=False)) == "true"


def resolve(root: Path, ref: str) -> str | None:
    """The commit `ref` names, or None."""
    if ref.startswith("-") or "\0" in ref:
        return None
    result = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
    return _out(result) if result.returncode == 0 else None


def _shallow_hint(root: Path) -> str:
    if is_shallow(root):
        return (" — this clone is shallow, so older commits are missing: run `git fetch --unshallow` "
                "(GitHub Actions: actions/checkout with fetch-depth: 0)")
    return ""


def require(root: Path, ref: str) -> str:
    commit = resolve(root, ref)
    if commit is None:
        raise GitError(f"unknown revision {ref!r}{_shallow_hint(root)}")
    return commit


def default_branch(root: Path) -> str | None:
    """origin/HEAD's branch, else the first of origin/main, origin/master, main, master that exists."""
    result = _git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", check=False)
    candidates = [_out(result)] if result.returncode == 0 and _out(result) else []
    candidates += ["origin/main", "origin/master", "main", "master"]
    return next((c for c in candidates if resolve(root, c)), None)


def merge_base(root: Path, a: str, b: str) -> str:
    result = _git(root, "merge-base", a, b, check=False)
    if result.returncode != 0 or not _out(result):
        raise GitError(f"{a} and {b} have no common ancestor{_shallow_hint(root)}")
    return _out(result)


def default_base(root: Path) -> tuple[str, str]:
    """(commit, description): the merge base of HEAD with the default branch."""
    head = resolve(root, "HEAD")
    if head is None:
        raise GitError("HEAD has no commit yet; commit first or pass --base")
    branch = default_branch(root)
    if branch is None:
        raise GitError("no default branch (origin/HEAD, origin/main, main, master) to compare with; pass --base REF")
    base = merge_base(root, "HEAD", branch)
    return base, f"merge base of HEAD with {branch} ({base[:12]})"


def changed_files(root: Path, base: str) -> list[ChangedFile]:
    """Files that differ between `base` and the working tree (tracked, and new untracked ones), under `root`."""
    result = _git(root, "diff", "--relative", "--name-status", "-z", "-M", "--no-ext-diff", base, "--")
    fields = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    changes: list[ChangedFile] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in "RC":
            old, new = fields[i + 1], fields[i + 2]
            changes.append(ChangedFile("R" if status == "R" else "A", new, old if status == "R" else None))
            i += 3
        else:
            path = fields[i + 1]
            changes.append(ChangedFile(status, path, None if status == "A" else path))
            i += 2
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    for path in untracked.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if path:
            changes.append(ChangedFile("A", path, None))
    return changes


def _family(path: str) -> str:
    """`contracts/x-v2.yaml` -> `contracts/x`: the contract, whatever its major version."""
    import re

    return re.sub(r"-v\d+\.(ya?ml)$", "", path)


def pair_major_renames(changes: list[ChangedFile]) -> list[ChangedFile]:
    """A deleted x-vN.yaml and a new x-vM.yaml are one contract moved by a major bump."""
    deleted = {_family(c.path): c for c in changes if c.status == "D"}
    out, used = [], set()
    for change in changes:
        twin = deleted.get(_family(change.path)) if change.status == "A" and change.old_path is None else None
        if twin is not None and twin.path != change.path and twin.path not in used:
            used.add(twin.path)
            out.append(ChangedFile("R", change.path, twin.path))
        else:
            out.append(change)
    return [c for c in out if not (c.status == "D" and c.path in used)]


def show(root: Path, commit: str, path: str, max_bytes: int) -> bytes | None:
    """The bytes of `path` (relative to root) at `commit`; None when absent. Refuses blobs over max_bytes."""
    spec = f"{commit}:./{path}"
    size = _git(root, "cat-file", "-s", spec, check=False)
    if size.returncode != 0:
        return None
    if int(_out(size) or 0) > max_bytes:
        raise GitError(f"{path} at {commit[:12]} is over the size cap of {max_bytes} bytes")
    return _git(root, "cat-file", "blob", spec).stdout
