"""`pv bump`: a new version, `updated` date and changelog entry, written in the file's own style."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pv.checks.consistency.versions import DATE_IN_TEXT, LEADING_VERSION, parse_semver, version_key
from pv.edit.roundtrip import EditError, edit_text, load

PARTS = ("major", "minor", "patch")
_HEADER = re.compile(r"(?P<lead>\s*v?)(?P<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)"
                     r"(?P<date>\s*\(\d{4}-\d{2}-\d{2}\))?(?P<sep>\s*(?::|—|–|-)\s*)")


@dataclass(frozen=True)
class BumpResult:
    text: str
    old: str
    new: str
    entry_added: bool


def next_version(current: str, part: str) -> str:
    parsed = parse_semver(current)
    if parsed is None:
        raise EditError(f"the current version {current!r} is not a semantic version; fix it first")
    major, minor, patch, pre = parsed
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch}" if pre else f"{major}.{minor}.{patch + 1}"


def _current_version(data: dict) -> str:
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    versions = [v for v in (data.get("version"), metadata.get("version")) if v is not None]
    if not versions:
        raise EditError("the contract has no `version` or `metadata.version` to bump")
    for value in versions:
        if not isinstance(value, str):
            raise EditError(f"version {value!r} is not a quoted string; run `pv validate --fix` or quote it")
    if len({parse_semver(v) for v in versions}) > 1:
        raise EditError(f"`version` {versions[0]} and `metadata.version` {versions[1]} differ; make them agree first")
    return versions[-1]


def _like(old: Any, new: str) -> Any:
    """`new` as a scalar of the same style (quotes) as `old`."""
    from ruamel.yaml.scalarstring import ScalarString

    return type(old)(new) if isinstance(old, ScalarString) else new


def _entry_version(entry: Any) -> str | None:
    if isinstance(entry, dict):
        value = entry.get("version")
        return str(value) if value is not None else None
    if isinstance(entry, str):
        match = LEADING_VERSION.match(entry)
        return match.group(1) if match else None
    return None


def _ascending(entries: list) -> bool:
    keys = [version_key(v) for v in (parse_semver(_entry_version(e)) for e in entries) if v is not None]
    return len(keys) > 1 and all(a < b for a, b in zip(keys, keys[1:]))


def _string_entry(template: Any, version: str, date: str, message: str) -> Any:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

    match = _HEADER.match(template) if isinstance(template, str) else None
    if match is None:
        text = f"{version} ({date}): {message}"
    else:
        dated = f" ({date})" if match.group("date") else ""
        text = f"{match.group('lead').lstrip()}{version}{dated}{match.group('sep').rstrip()} {message}"
    if isinstance(template, ScalarString) and type(template).__name__ in ("DoubleQuotedScalarString",
                                                                           "SingleQuotedScalarString"):
        return type(template)(text)
    return DoubleQuotedScalarString(text) if template is None else text


def _list_like(old: Any, items: list) -> Any:
    """A list written in the flow or block style of `old`."""
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(items)
    if getattr(getattr(old, "fa", None), "flow_style", False):
        seq.fa.set_flow_style()
    return seq


def _mapping_entry(template: dict, version: str, date: str, message: str) -> Any:
    from ruamel.yaml.comments import CommentedMap

    entry = CommentedMap()
    wrote_text = False
    for key, value in template.items():
        if key == "version":
            entry[key] = _like(value, version)
        elif key == "date":
            entry[key] = _like(value, date)
        elif not wrote_text and isinstance(value, str):
            entry[key] = message
            wrote_text = True
        elif not wrote_text and isinstance(value, list):
            entry[key] = _list_like(value, [message])
            wrote_text = True
    if "version" not in entry:
        entry.insert(0, "version", version)
    if not wrote_text:
        entry["changes"] = message
    return entry


def _new_entry(changelog: list, version: str, date: str, message: str) -> Any:
    mappings = [e for e in changelog if isinstance(e, dict)]
    strings = [e for e in changelog if isinstance(e, str)]
    if mappings and len(mappings) >= len(strings):
        return _mapping_entry(mappings[0], version, date, message)
    template = next((e for e in strings if _HEADER.match(e)), strings[0] if strings else None)
    return _string_entry(template, version, date, message)


def _insert_after(mapping: Any, after: tuple[str, ...], key: str, value: Any) -> None:
    """Insert `key` after the first of `after` present (else at the end), keeping trailing comments last."""
    keys = list(mapping.keys())
    anchor = next((k for k in after if k in mapping), None)
    position = keys.index(anchor) + 1 if anchor is not None else len(keys)
    mapping.insert(position, key, value)
    if anchor is not None and position == len(keys):  # new last key: a blank line/comment after the old one
        _move_trailing_comment(mapping, anchor, key, value)


def _move_trailing_comment(mapping: Any, old: str, new: str, value: Any) -> None:
    items = mapping.ca.items
    token = items.get(old, [None, None, None, None])[2] if old in items else None
    if token is None:
        return
    items[old][2] = None
    if isinstance(value, list) and value:
        value.ca.items[len(value) - 1] = [token, None]
    else:
        items[new] = [None, None, token, None]


def bump_text(text: str, *, part: str | None = None, to: str | None = None, message: str | None = None,
              date: dt.date | None = None) -> BumpResult:
    """Bump the contract in `text`; raise EditError when it cannot be done safely."""
    day = (date or dt.date.today()).isoformat()
    state: dict[str, Any] = {}

    def mutate(data: Any) -> None:
        if not isinstance(data, dict):
            raise EditError("the document is not a mapping")
        old = _current_version(data)
        new = to if to is not None else next_version(old, part or "patch")
        if parse_semver(new) is None:
            raise EditError(f"--to {new!r} is not a semantic version (MAJOR.MINOR.PATCH)")
        if version_key(parse_semver(new)) <= version_key(parse_semver(old)):
            raise EditError(f"the new version {new} is not greater than the current {old}")
        state.update(old=old, new=new, added=False)
        if "version" in data:
            data["version"] = _like(data["version"], new)
        metadata = data.get("metadata")
        if not isinstance(metadata, dict):
            raise EditError("the contract has no `metadata` mapping to record the change in")
        if "version" in metadata:
            metadata["version"] = _like(metadata["version"], new)
        if "updated" in metadata:
            previous = metadata["updated"]
            if isinstance(previous, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", previous.strip()) \
                    and previous.strip() > day:
                raise EditError(f"metadata.updated is {previous}, later than the bump date {day}")
            metadata["updated"] = _like(previous, day)
        changelog = metadata.get("changelog")
        if changelog is not None and not isinstance(changelog, list):
            raise EditError("metadata.changelog is not a list")
        if changelog and any(parse_semver(_entry_version(e)) == parse_semver(new) for e in changelog):
            return  # the author wrote the entry already
        if not message:
            raise EditError(f"no changelog entry for {new}: give one with -m \"what changed and why\"")
        if changelog is None:
            from ruamel.yaml.comments import CommentedSeq

            seq = CommentedSeq([_new_entry([], new, day, message)])
            _insert_after(metadata, ("updated", "created", "version"), "changelog", seq)
        else:
            entry = _new_entry(changelog, new, day, message)
            if _ascending(changelog):
                last = len(changelog) - 1
                token = changelog.ca.items.pop(last, None)
                changelog.append(entry)
                if token is not None:
                    changelog.ca.items[last + 1] = token
            else:
                changelog.insert(0, entry)
        state["added"] = True

    new_text = edit_text(text, mutate, width=_wrap_width(text))
    return BumpResult(new_text, state["old"], state["new"], state["added"])


def _wrap_width(text: str) -> int | None:
    """The width at which the file wraps its quoted changelog entries, if it wraps them; else None."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    try:
        _, data = load(text)
    except EditError:
        return None
    changelog = data.get("metadata", {}).get("changelog") if isinstance(data, dict) and isinstance(
        data.get("metadata"), dict) else None
    if not isinstance(changelog, list) or len(changelog) < 2:
        return None
    lines = text.splitlines()
    width = 0
    for i in range(len(changelog) - 1):
        first, last = changelog.lc.item(i)[0], changelog.lc.item(i + 1)[0]
        if isinstance(changelog[i], DoubleQuotedScalarString) and last - first > 1:
            width = max(width, *(len(line) for line in lines[first:last]))
    return width or None


def dated(entry: str) -> str | None:
    """The YYYY-MM-DD date a string changelog entry carries, if any."""
    match = DATE_IN_TEXT.search(entry[:80])
    return (match.group(1) or match.group(2)) if match else None
