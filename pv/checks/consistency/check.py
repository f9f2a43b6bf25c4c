"""Internal consistency of a contract, beyond what a schema can say.

Ids are unique and every id the contract names exists; versions, the
changelog and dates agree with each other; summary blocks agree with what
they summarise. `check_peer_files` is the only part that reads other files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from pv.checks.consistency.versions import (
    DATE_IN_TEXT,
    LEADING_VERSION,
    TWO_PART,
    Version,
    parse_date,
    parse_semver,
    two_part_number,
    version_key,
)
from pv.core.document import Document, YamlPath
from pv.core.findings import Finding, Fix, TextEdit
from pv.core.fixes import insert_list_item
from pv.core.vocabulary import strict_versions

ID_LISTS = ("invariants", "gates", "failure_modes", "falsification_tests", "proof_obligations", "kani_harnesses")
ID_TOKEN = re.compile(r"\b((?:INV|GATE|FALSIFY|FM)-[A-Z0-9]+(?:-[A-Z0-9]+)*)\b")
ID_LIKE = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\Z")


def check(doc: Document, ctx: object = None) -> list[Finding]:
    findings: list[Finding] = []
    defined = _defined_ids(doc, findings)
    findings.extend(_references(doc, defined))
    findings.extend(_versions(doc, getattr(ctx, "config", None)))
    findings.extend(_dates(doc))
    findings.extend(_verification_summary(doc))
    return findings


# --- ids ----------------------------------------------------------------------------

def dict_items(doc: Document, key: str) -> Iterator[tuple[int, dict]]:
    """(index, item) for each mapping in the top-level list `key`; other entries are the schema's to report."""
    items = doc.data.get(key)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _defined_ids(doc: Document, findings: list[Finding]) -> dict[str, YamlPath]:
    defined: dict[str, YamlPath] = {}
    for key in ID_LISTS:
        for index, item in dict_items(doc, key):
            ident = item.get("id")
            if not isinstance(ident, str):
                continue
            path = (key, index, "id")
            if ident in defined:
                first = doc.span(defined[ident])
                findings.append(doc.finding(path, "PV201",
                                            f"id `{ident}` is already used at line {first[0]}",
                                            hint="give each item its own id"))
            else:
                defined[ident] = path
    return defined


def _namespace(ident: str) -> str:
    """`INV-TRAIN-005` -> `INV-TRAIN`: ids in one namespace are defined together."""
    return ident.rsplit("-", 1)[0]


def _references(doc: Document, defined: dict[str, YamlPath]) -> Iterator[Finding]:
    namespaces = {_namespace(ident) for ident in defined}

    def dangling(ident: str, path: YamlPath, what: str, at: tuple[int, int] | None = None) -> Finding:
        near = _closest_id(ident, defined)
        return doc.finding(path, "PV202", f"{what} `{ident}`, which this contract does not define",
                           hint=f"did you mean `{near}`?" if near else "define it, or fix the id", at=at)

    # Structured references: a named id must exist when this contract defines its kind.
    structured = [("gates", "binds_to"), ("gates", "falsification_id"), ("falsification_tests", "binds_to"),
                  ("kani_harnesses", "obligation")]
    for list_key, field in structured:
        for index, item in dict_items(doc, list_key):
            value = item.get(field)
            if not isinstance(value, str) or not ID_LIKE.match(value.strip()):
                continue
            ident = value.strip()
            if ident not in defined and _namespace(ident) in namespaces | _kinds_defined(doc, ident):
                yield dangling(ident, (list_key, index, field), f"`{field}` names")
    for index, item in dict_items(doc, "gates"):
        named = item.get("invariants")
        for j, ident in enumerate(named if isinstance(named, list) else []):  # a wrong type is the schema's
            if isinstance(ident, str) and ident not in defined:
                yield dangling(ident, ("gates", index, "invariants", j), "the gate names invariant")
    # Ids mentioned in prose, in a namespace this contract defines (e.g. INV-TRAIN-012).
    for list_key in ("invariants", "gates", "falsification_tests"):
        for index, item in dict_items(doc, list_key):
            for field in ("rule", "description", "falsifier", "evidence_required", "motivation", "condition",
                          "discharge_notes", "partial_discharge_note", "full_discharge_blocks_on"):
                text = item.get(field)
                if not isinstance(text, str):
                    continue
                for match in ID_TOKEN.finditer(text):
                    ident = match.group(1)
                    if ident not in defined and _namespace(ident) in namespaces:
                        path = (list_key, index, field)
                        at = doc.position_in_scalar(path, match.start())
                        yield dangling(ident, path, "the text mentions", at=at)


def _kinds_defined(doc: Document, ident: str) -> set[str]:
    """A FALSIFY-/INV-/GATE- id must resolve only if the contract defines that kind at all."""
    prefix = ident.split("-", 1)[0]
    lists = {"INV": "invariants", "GATE": "gates", "FALSIFY": "falsification_tests", "FM": "failure_modes"}
    key = lists.get(prefix)
    if key and any(True for _ in dict_items(doc, key)):
        return {_namespace(ident)}
    if not key and any("id" in item for _, item in dict_items(doc, "proof_obligations")):
        return {_namespace(ident)}  # kani obligations name proof-obligation ids
    return set()


def _closest_id(ident: str, defined: dict[str, YamlPath]) -> str | None:
    from pv.core.suggest import closest

    return closest(ident, defined)


# --- versions and changelog ---------------------------------------------------------------

def _versions(doc: Document, config: object = None) -> Iterator[Finding]:
    data = doc.data
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    family_gated = "gates" in data or "contract_id" in data
    parsed: dict[YamlPath, Version] = {}
    for path, value in ((("version",), data.get("version")), (("metadata", "version"), metadata.get("version"))):
        number = two_part_number(doc, path, value)  # `version: 1.0` unquoted: a two-part version too
        if number is not None:
            value = number
        elif not isinstance(value, str):
            continue  # absent, or another number: the schema reports the type (quote it)
        version = parse_semver(value)
        if version is None:
            finding, version = _not_semver(doc, path, value, strict_versions(config))
            yield finding
        if version is not None:
            parsed[path] = version
    if not parsed:
        return
    top, meta = parsed.get(("version",)), parsed.get(("metadata", "version"))
    newest = _newest_changelog_version(metadata.get("changelog"))
    if top is not None and meta is not None and top != meta:
        yield _drift(doc, top, meta, newest)
    # With drift, the changelog is checked against both versions: the drift is the one root cause.
    current = tuple(dict.fromkeys(v for v in (top, meta) if v is not None))
    match = re.search(r"-v(\d+)$", Path(doc.file).stem)
    if match and all(int(match.group(1)) != v[0] and v[0] != 0 for v in current):
        where = ("version",) if top is not None else ("metadata", "version")
        yield doc.finding(where, "PV212",
                          f"file name says major version {match.group(1)} but the version is "
                          f"{_label(current[0])}",
                          hint=f"a new major version goes in a new file ending in -v{current[0][0]}.yaml")
    yield from _changelog(doc, metadata, current, family_gated)


def _label(version: Version) -> str:
    text = ".".join(map(str, version[:3]))
    return text + ("-" + ".".join(map(str, version[3])) if version[3] else "")


def _not_semver(doc: Document, path: YamlPath, value: str, strict: bool) -> tuple[Finding, Version | None]:
    """PV210, or PV218 (a warning unless `strict_versions`) for a two-part "1.0", with the fix."""
    where = ".".join(map(str, path))
    short = TWO_PART.fullmatch(value.strip())
    if not short:
        hint = f'write it as a quoted "MAJOR.MINOR.PATCH" string, e.g. "{_as_semver(value)}"'
        return doc.finding(path, "PV210", f"`{where}` is {value!r}, not a semantic version", hint=hint), None
    fixed = f"{value.strip()}.0"
    line, col, end_line, end_col = doc.span(path)
    fix = Fix(f'write "{fixed}"', (TextEdit(line, col, end_line, end_col, f'"{fixed}"'),))
    hint = f'write "{fixed}": semantic versions have three parts'
    if strict:
        return doc.finding(path, "PV210", f"`{where}` is {value!r}, not a semantic version (strict_versions)",
                           hint=hint, fix=fix), None
    version = (int(short.group(1)), int(short.group(2)), 0, ())
    return doc.finding(path, "PV218", f"`{where}` is {value!r}, a two-part version; read as {fixed}",
                       hint=hint, fix=fix), version


def _newest_changelog_version(changelog: Any) -> Version | None:
    versions = [parse_semver(_entry_version_and_date(entry)[0] or "") for entry in changelog or ()] \
        if isinstance(changelog, list) else []
    versions = [v for v in versions if v is not None]
    return max(versions, key=version_key) if versions else None


def _drift(doc: Document, top: Version, meta: Version, newest: Version | None) -> Finding:
    """PV211 at the stale one of the two versions when the changelog tells which is current."""
    message = f"top-level version {_label(top)} differs from metadata.version {_label(meta)}"
    if newest not in (top, meta):
        return doc.finding(("version",), "PV211", message, hint="bump both together")
    stale, right, other = (("version",), meta, "metadata.version") if newest == meta \
        else (("metadata", "version"), top, "the top-level version")
    line, col, end_line, end_col = doc.span(stale)
    written = doc.text.splitlines()[line - 1][col - 1:end_col - 1] if line == end_line else ""
    old = _label(parse_semver(doc.get(stale)) or top)
    fix = None
    if old in written:  # keep the author's quoting
        fix = Fix(f"set {'.'.join(stale)} to {_label(right)}",
                  (TextEdit(line, col, end_line, end_col, written.replace(old, _label(right), 1)),))
    return doc.finding(stale, "PV211", message, fix=fix,
                       hint=f"{other} and the changelog's newest entry say {_label(right)}: "
                            f"set `{'.'.join(stale)}` to {_label(right)}")


def _as_semver(value: Any) -> str:
    parts = str(value).split(".")
    parts = [p for p in parts if p.isdigit()][:3]
    return ".".join(parts + ["0"] * (3 - len(parts))) if parts else "1.0.0"


def _entry_version_and_date(entry: Any) -> tuple[str | None, str | None]:
    if isinstance(entry, dict):
        version = entry.get("version")
        date = entry.get("date")
        return (str(version) if version is not None else None, date if isinstance(date, str) else None)
    if isinstance(entry, str):
        match = LEADING_VERSION.match(entry)
        date = DATE_IN_TEXT.search(entry[:80])
        return (match.group(1) if match else None, (date.group(1) or date.group(2)) if date else None)
    return None, None


def _changelog(doc: Document, metadata: dict, current: tuple[Version, ...],
               family_gated: bool) -> Iterator[Finding]:
    """`current` holds the contract's version, or both when top-level and metadata disagree (PV211)."""
    changelog = metadata.get("changelog")
    shown = " or ".join(_label(v) for v in current)
    highest = max(current, key=version_key)
    if changelog is None:
        if family_gated and all(v[:3] != (1, 0, 0) for v in current):
            yield doc.finding(("metadata",), "PV213", f"version {shown} has no changelog", key=True,
                              hint=f"add metadata.changelog with an entry \"{_label(highest)} (YYYY-MM-DD): "
                                   "what changed\"")
        return
    if not isinstance(changelog, list):
        return  # the schema reports the type
    versions: list[tuple[int, Version]] = []
    current_entries: list[tuple[int, Version]] = []
    for index, entry in enumerate(changelog):
        text, _ = _entry_version_and_date(entry)
        parsed = parse_semver(text) if text else None
        if parsed is None:
            yield doc.finding(("metadata", "changelog", index), "PV213",
                              "changelog entry does not start with a version",
                              hint='start it with "X.Y.Z (YYYY-MM-DD): …"')
            continue
        versions.append((index, parsed))
        if parsed in current:
            current_entries.append((index, parsed))
        elif version_key(parsed) > version_key(highest):
            yield doc.finding(("metadata", "changelog", index), "PV217",
                              f"changelog entry for {text} is newer than the contract version {shown}",
                              hint="bump the contract version, or fix the entry")
    if not current_entries:
        yield doc.finding(("metadata", "changelog"), "PV213", f"the changelog has no entry for the current "
                          f"version {shown}", hint=f"add \"{_label(highest)} (YYYY-MM-DD): what changed and why\"",
                          key=True, fix=_changelog_stub(doc, metadata, changelog, versions, current))
    seen: set[Version] = set()
    for index, version in current_entries:
        if version in seen:
            yield doc.finding(("metadata", "changelog", index), "PV213",
                              f"the changelog has more than one entry for version {_label(version)}",
                              hint="merge the entries")
        seen.add(version)
    yield from _order(doc, versions)


def _order(doc: Document, versions: list[tuple[int, Version]]) -> Iterator[Finding]:
    """PV214 on each entry outside the longest run in one order, saying where it belongs."""
    keys = [version_key(v) for _, v in versions]
    if len(keys) < 2:
        return
    rising = _longest_chain(keys, lambda a, b: a < b)
    falling = _longest_chain(keys, lambda a, b: a > b)
    if len(rising) == len(keys) or len(falling) == len(keys):
        return
    newest_first = len(falling) > len(rising) or (len(falling) == len(rising) and keys[0] > keys[-1])
    kept = falling if newest_first else rising
    order = "newest first" if newest_first else "oldest first"
    kept_set = set(kept)
    groups: list[tuple[str, list[int]]] = []  # (where they belong, positions): one finding per run of entries
    for position in range(len(versions)):
        if position in kept_set:
            continue
        key = keys[position]
        before = [versions[k][1] for k in kept if (keys[k] > key) == newest_first]
        after = [versions[k][1] for k in kept if (keys[k] > key) != newest_first]
        if before and after:
            place = f"between {_label(before[-1])} and {_label(after[0])}"
        elif before:
            place = f"after {_label(before[-1])}"
        else:
            place = f"before {_label(after[0])}"
        if groups and groups[-1][0] == place and groups[-1][1][-1] == position - 1:
            groups[-1][1].append(position)
        else:
            groups.append((place, [position]))
    for place, positions in groups:
        index = versions[positions[0]][0]
        if len(positions) == 1:
            message = f"changelog entry {_label(versions[positions[0]][1])} is out of place"
            hint = f"move it {place}"
        else:
            shown = ", ".join(_label(versions[p][1]) for p in positions)
            message = f"changelog entries {shown} are out of place"
            hint = f"move them {place}, {order}"
        yield doc.finding(("metadata", "changelog", index), "PV214",
                          f"{message}: the other entries are {order}", hint=hint)


def _longest_chain(keys: list[tuple], follows: Any) -> list[int]:
    """Indices of a longest subsequence where each key `follows` the one before; the earliest such one."""
    size = len(keys)
    length = [1] * size  # length[i]: longest chain starting at i
    for i in range(size - 2, -1, -1):
        for j in range(i + 1, size):
            if follows(keys[i], keys[j]) and length[j] + 1 > length[i]:
                length[i] = length[j] + 1
    best = max(length)
    chain: list[int] = []
    start = 0
    for want in range(best, 0, -1):
        for i in range(start, size):
            if length[i] == want and (not chain or follows(keys[chain[-1]], keys[i])):
                chain.append(i)
                start = i + 1
                break
    return chain


def _changelog_stub(doc: Document, metadata: dict, changelog: list, versions: list,
                    current: tuple[Version, ...]) -> Fix | None:
    """Insert "X.Y.Z (updated): …" where the entry for the current version belongs (newest first unless
    the entries run oldest first)."""
    if not changelog or not all(isinstance(e, str) for e in changelog):
        return None
    if len(current) != 1:
        return None  # version and metadata.version disagree: which is right is the author's call (PV211)
    shown = _label(current[0])
    keys = [version_key(v) for _, v in versions]
    oldest_first = len(keys) > 1 and all(a < b for a, b in zip(keys, keys[1:]))
    day = parse_date(metadata.get("updated")) or parse_date(metadata.get("created"))
    head = f"{shown} ({day.isoformat()})" if day else shown
    return insert_list_item(doc, ("metadata", "changelog"), len(changelog) if oldest_first else 0,
                            f"{head}: no entry was written for this version; describe the change",
                            f"add a changelog stub for {shown}")


# --- dates --------------------------------------------------------------------------

def _dates(doc: Document) -> Iterator[Finding]:
    metadata = doc.data.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    parsed = {}
    for path, value in ((("metadata", "created"), metadata.get("created")),
                        (("metadata", "updated"), metadata.get("updated")),
                        (("date",), doc.data.get("date"))):
        if value is None:
            continue
        day = parse_date(value)
        if day is None:
            yield doc.finding(path, "PV215", f"`{'.'.join(path)}` is {value!r}, not a valid YYYY-MM-DD date",
                              hint='write a real calendar date in quotes, e.g. "2026-04-20"')
        parsed[path[-1]] = day
    created, updated = parsed.get("created"), parsed.get("updated")
    if created and updated and updated < created:
        yield doc.finding(("metadata", "updated"), "PV216",
                          f"updated {updated} is earlier than created {created}",
                          hint="a contract cannot be updated before it was created")
    changelog = metadata.get("changelog")
    if not isinstance(changelog, list):
        return
    for index, entry in enumerate(changelog):
        _, text = _entry_version_and_date(entry)
        if text is None:
            continue
        day = parse_date(text)
        path = ("metadata", "changelog", index)
        if day is None:
            yield doc.finding(path, "PV215", f"changelog date {text!r} is not a valid date")
        elif updated and day > updated:
            yield doc.finding(path, "PV216", f"changelog entry dated {day} is after metadata.updated {updated}",
                              hint="set metadata.updated to the date of the latest change")
        elif created and day < created:
            yield doc.finding(path, "PV216", f"changelog entry dated {day} is before metadata.created {created}")


# --- summaries ------------------------------------------------------------------------

def _verification_summary(doc: Document) -> Iterator[Finding]:
    summary = doc.data.get("verification_summary")
    obligations = doc.data.get("proof_obligations")
    if not isinstance(summary, dict) or not isinstance(obligations, list):
        return
    lean = [o.get("lean") for o in obligations if isinstance(o, dict)]
    statuses = [entry.get("status") for entry in lean if isinstance(entry, dict)]
    kani = doc.data.get("kani_harnesses")
    expected = {
        "total_obligations": (len(obligations), "proof_obligations"),
        "l4_lean_proved": (statuses.count("proved"), "obligations whose lean.status is proved"),
        "l4_sorry_count": (statuses.count("sorry"), "obligations whose lean.status is sorry"),
        "l4_not_applicable": (sum(1 for entry in lean if not isinstance(entry, dict)),
                              "obligations without a lean block"),
    }
    if not any(isinstance(entry, dict) for entry in lean):
        expected = {"total_obligations": expected["total_obligations"]}  # no Lean data to count
    for key, (count, what) in expected.items():
        value = summary.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value != count:
            yield doc.finding(("verification_summary", key), "PV220",
                              f"verification_summary.{key} is {value} but the contract has {count} {what}",
                              hint=f"set it to {count}")
    bounded = {"l2_property_tested": len(obligations), "tested": len(obligations), "proven": len(obligations)}
    if isinstance(kani, list):
        bounded["l3_kani_proved"] = len(kani)
    for key, limit in bounded.items():
        value = summary.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > limit:
            yield doc.finding(("verification_summary", key), "PV220",
                              f"verification_summary.{key} is {value}, more than the {limit} items it counts")


# --- peer files (reads the file system) -----------------------------------------------

PEER_KEYS = ("depends_on", "peer_contracts", "parent_contracts")


def safe_repo_path(root: Path, relative: str) -> Path | None:
    """Resolve `relative` inside `root`; None if it is absolute or escapes the root."""
    pure = PurePosixPath(relative.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", relative) or "\0" in relative:
        return None  # a NUL byte makes every os call raise ValueError
    try:
        candidate = (root / pure).resolve()
        candidate.relative_to(root.resolve())
    except (ValueError, OSError):  # outside the root; a loop or an over-long name
        return None
    return candidate


def peer_files_apply(data: dict) -> bool:
    """Whether `check_peer_files` has anything to look at."""
    metadata = data.get("metadata")
    return isinstance(metadata, dict) and any(metadata.get(key) for key in PEER_KEYS)


def check_peer_files(doc: Document, ctx: Any) -> list[Finding]:
    metadata = doc.data.get("metadata")
    if not isinstance(metadata, dict):
        return []
    findings = []
    contract_dirs = getattr(getattr(ctx, "config", None), "contract_dirs", ("contracts",))
    for key in PEER_KEYS:
        entries = metadata.get(key)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, str) or not entry.strip():
                continue
            path = ("metadata", key, index)
            name = entry.strip().split()[0]
            if "/" in name or name.endswith((".yaml", ".yml")):
                target = safe_repo_path(doc.root, name)
                if target is None:
                    findings.append(doc.finding(path, "PV203", f"`{name}` is outside the repository root",
                                                hint="name contracts by a path relative to the repository root"))
                elif not _is_file(target):
                    findings.append(doc.finding(path, "PV203", f"`{name}` does not exist",
                                                hint="fix the path (relative to the repository root)"))
            elif re.fullmatch(r"[\w.-]+-v\d+", name):
                if not _find_contract(doc, name, contract_dirs, getattr(ctx, "run_id", "")):
                    findings.append(doc.finding(path, "PV203", f"no contract file `{name}.yaml` was found",
                                                hint="name an existing contract (its file name without .yaml)"))
    return findings


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # e.g. a component over NAME_MAX
        return False


def _find_contract(doc: Document, stem: str, contract_dirs: tuple[str, ...], run: str = "") -> bool:
    own_dir = doc.abspath.parent
    for suffix in (".yaml", ".yml"):
        if _is_file(own_dir / f"{stem}{suffix}"):  # a name over NAME_MAX is no file, not a crash
            return True
    for directory in contract_dirs:
        base = safe_repo_path(doc.root, directory)
        if base is not None and stem in _contract_stems(str(base), run):
            return True
    return False


@lru_cache(maxsize=16)
def _contract_stems(base: str, run: str) -> frozenset[str]:
    """Stems of every *.yaml/*.yml file under `base`, walked once per run (`run`: the run's id),
    not once per peer name: on 10,000 contracts the walk per name made validation quadratic."""
    stems: set[str] = set()
    for _, _, files in os.walk(base):
        stems.update(name.rsplit(".", 1)[0] for name in files if name.endswith((".yaml", ".yml")))
    return frozenset(stems)
