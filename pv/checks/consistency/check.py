"""Internal consistency of a contract, beyond what a schema can say.

Ids are unique and every id the contract names exists; versions, the
changelog and dates agree with each other; summary blocks agree with what
they summarise. `check_peer_files` is the only part that reads other files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from pv.checks.consistency.versions import DATE_IN_TEXT, LEADING_VERSION, parse_date, parse_semver, version_key
from pv.core.document import Document, YamlPath
from pv.core.findings import Finding

ID_LISTS = ("invariants", "gates", "failure_modes", "falsification_tests", "proof_obligations", "kani_harnesses")
ID_TOKEN = re.compile(r"\b((?:INV|GATE|FALSIFY|FM)-[A-Z0-9]+(?:-[A-Z0-9]+)*)\b")
ID_LIKE = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\Z")


def check(doc: Document, ctx: object = None) -> list[Finding]:
    findings: list[Finding] = []
    defined = _defined_ids(doc, findings)
    findings.extend(_references(doc, defined))
    findings.extend(_versions(doc))
    findings.extend(_dates(doc))
    findings.extend(_verification_summary(doc))
    return findings


# --- ids ----------------------------------------------------------------------------

def _items(doc: Document, key: str) -> Iterator[tuple[int, dict]]:
    items = doc.data.get(key)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _defined_ids(doc: Document, findings: list[Finding]) -> dict[str, YamlPath]:
    defined: dict[str, YamlPath] = {}
    for key in ID_LISTS:
        for index, item in _items(doc, key):
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
        for index, item in _items(doc, list_key):
            value = item.get(field)
            if not isinstance(value, str) or not ID_LIKE.match(value.strip()):
                continue
            ident = value.strip()
            if ident not in defined and _namespace(ident) in namespaces | _kinds_defined(doc, ident):
                yield dangling(ident, (list_key, index, field), f"`{field}` names")
    for index, item in _items(doc, "gates"):
        named = item.get("invariants")
        for j, ident in enumerate(named if isinstance(named, list) else []):  # a wrong type is the schema's
            if isinstance(ident, str) and ident not in defined:
                yield dangling(ident, ("gates", index, "invariants", j), "the gate names invariant")
    # Ids mentioned in prose, in a namespace this contract defines (e.g. INV-TRAIN-012).
    for list_key in ("invariants", "gates", "falsification_tests"):
        for index, item in _items(doc, list_key):
            for field in ("rule", "description", "falsifier", "evidence_required"):
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
    if key and any(True for _ in _items(doc, key)):
        return {_namespace(ident)}
    if not key and any("id" in item for _, item in _items(doc, "proof_obligations")):
        return {_namespace(ident)}  # kani obligations name proof-obligation ids
    return set()


def _closest_id(ident: str, defined: dict[str, YamlPath]) -> str | None:
    from pv.core.suggest import closest

    return closest(ident, defined)


# --- versions and changelog ---------------------------------------------------------------

def _versions(doc: Document) -> Iterator[Finding]:
    data = doc.data
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    family_gated = "gates" in data or "contract_id" in data
    current = None
    top, meta = data.get("version"), metadata.get("version")
    for path, value in ((("version",), top), (("metadata", "version"), meta)):
        if not isinstance(value, str):
            continue  # absent, or a number: the schema reports the type (quote it)
        parsed = parse_semver(value)
        if parsed is None:
            hint = f'write it as a quoted "MAJOR.MINOR.PATCH" string, e.g. "{_as_semver(value)}"'
            yield doc.finding(path, "PV210", f"`{'.'.join(path)}` is {value!r}, not a semantic version",
                              hint=hint)
        elif current is None:
            current = parsed
    if isinstance(top, str) and isinstance(meta, str) and parse_semver(top) and parse_semver(meta) \
            and parse_semver(top) != parse_semver(meta):
        yield doc.finding(("version",), "PV211",
                          f"top-level version {top} differs from metadata.version {meta}",
                          hint="bump both together")
    if current is None:
        return
    match = re.search(r"-v(\d+)$", Path(doc.file).stem)
    if match and int(match.group(1)) != current[0] and current[0] != 0:
        where = ("version",) if top is not None else ("metadata", "version")
        yield doc.finding(where, "PV212",
                          f"file name says major version {match.group(1)} but the version is "
                          f"{'.'.join(map(str, current[:3]))}",
                          hint=f"a new major version goes in a new file ending in -v{current[0]}.yaml")
    yield from _changelog(doc, metadata, current, family_gated)


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


def _changelog(doc: Document, metadata: dict, current: tuple, family_gated: bool) -> Iterator[Finding]:
    changelog = metadata.get("changelog")
    shown = ".".join(map(str, current[:3]))
    if changelog is None:
        if family_gated and current[:3] != (1, 0, 0):
            yield doc.finding(("metadata",), "PV213", f"version {shown} has no changelog", key=True,
                              hint=f"add metadata.changelog with an entry \"{shown} (YYYY-MM-DD): what changed\"")
        return
    if not isinstance(changelog, list):
        return  # the schema reports the type
    versions: list[tuple[int, tuple]] = []
    current_entries: list[int] = []
    for index, entry in enumerate(changelog):
        text, _ = _entry_version_and_date(entry)
        parsed = parse_semver(text) if text else None
        if parsed is None:
            yield doc.finding(("metadata", "changelog", index), "PV213",
                              "changelog entry does not start with a version",
                              hint='start it with "X.Y.Z (YYYY-MM-DD): …"')
            continue
        versions.append((index, parsed))
        if parsed == current:
            current_entries.append(index)
        elif version_key(parsed) > version_key(current):
            yield doc.finding(("metadata", "changelog", index), "PV217",
                              f"changelog entry for {text} is newer than the contract version {shown}",
                              hint="bump the contract version, or fix the entry")
    if not current_entries:
        yield doc.finding(("metadata", "changelog"), "PV213", f"the changelog has no entry for the current "
                          f"version {shown}", hint=f"add \"{shown} (YYYY-MM-DD): what changed and why\"",
                          key=True)
    for extra in current_entries[1:]:
        yield doc.finding(("metadata", "changelog", extra), "PV213",
                          f"the changelog has more than one entry for version {shown}",
                          hint="merge the entries")
    keys = [version_key(v) for _, v in versions]
    ascending = all(a < b for a, b in zip(keys, keys[1:]))
    descending = all(a > b for a, b in zip(keys, keys[1:]))
    if len(keys) > 1 and not ascending and not descending:
        direction = 1 if keys[0] < keys[-1] else -1
        for (index, version), previous in zip(versions[1:], keys):
            if (version_key(version) > previous) != (direction > 0):
                label = ".".join(map(str, version[:3]))
                yield doc.finding(("metadata", "changelog", index), "PV214",
                                  f"changelog entry {label} is out of order",
                                  hint="keep entries newest first (or oldest first) throughout")
                break


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
                if not _find_contract(doc, name, contract_dirs):
                    findings.append(doc.finding(path, "PV203", f"no contract file `{name}.yaml` was found",
                                                hint="name an existing contract (its file name without .yaml)"))
    return findings


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # e.g. a component over NAME_MAX
        return False


def _find_contract(doc: Document, stem: str, contract_dirs: tuple[str, ...]) -> bool:
    own_dir = doc.abspath.parent
    for suffix in (".yaml", ".yml"):
        if (own_dir / f"{stem}{suffix}").is_file():
            return True
    for directory in contract_dirs:
        base = safe_repo_path(doc.root, directory)
        if base is not None and base.is_dir() and any(base.rglob(f"{stem}.y*ml")):
            return True
    return False
