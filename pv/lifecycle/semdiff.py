"""The semantic difference between two versions of one contract.

Items with ids are paired by id, other mappings by key, lists of scalars as
sets; each difference is classified by the policy table (`policy.POLICY`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pv.lifecycle import policy

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Change:
    kind: str  # a key of policy.POLICY
    path: Path_  # where, in the new document (old for removals)
    message: str
    in_old: bool = False  # the path is the old document's (the thing was removed)

    @property
    def bump(self) -> int:
        return policy.required(self.kind)


def _show(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _last_key(path: Path_) -> str:
    return next((p for p in reversed(path) if isinstance(p, str)), "")


def _item_key(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in ("id", "name", "kind"):
            value = item.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return f"{key}={value}"
    return None


def diff_contracts(old: dict, new: dict) -> list[Change]:
    changes: list[Change] = []
    _diff(old, new, (), (), changes)
    return [_relabel(c, old if c.in_old else new) for c in changes]


def _relabel(change: Change, data: Any) -> Change:
    """Name list items by their id in the message: `gates[GATE-TRAIN-005].rule`, not `gates[4].rule`."""
    message = change.message
    for path in (change.path, change.path[:-1]):
        plain, shown = _label(path), _id_label(path, data)
        if shown != plain:
            message = message.replace(f"`{plain}`", f"`{shown}`").replace(f"`{plain}.", f"`{shown}.")
    return Change(change.kind, change.path, message, change.in_old)


def _id_label(path: Path_, data: Any) -> str:
    node, shown = data, ""
    for part in path:
        item = node[part] if isinstance(node, dict | list) and _has(node, part) else None
        if isinstance(part, int):
            ident = _item_key(item)
            shown += f"[{ident.split('=', 1)[1]}]" if ident else f"[{part}]"
        else:
            shown += f".{part}" if shown else str(part)
        node = item
    return shown


def _has(node: Any, part: str | int) -> bool:
    return part in node if isinstance(node, dict) else isinstance(part, int) and 0 <= part < len(node)


def _bump_field(path: Path_) -> bool:
    return path in policy.BUMP_FIELDS


def _diff(old: Any, new: Any, old_path: Path_, new_path: Path_, out: list[Change]) -> None:
    if _bump_field(new_path):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new and not _bump_field(old_path + (key,)):
                out.append(_removed(old_path + (key,), old[key]))
        for key in new:
            if key not in old:
                if not _bump_field(new_path + (key,)):
                    out.append(_added(new_path + (key,), new[key]))
            else:
                _diff(old[key], new[key], old_path + (key,), new_path + (key,), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        _diff_list(old, new, old_path, new_path, out)
        return
    if type(old) is type(new) and (old == new or (isinstance(old, float) and old != old and new != new)):
        return  # equal (two NaNs are the same value as written: `.nan`)
    out.append(_scalar(old, new, new_path))


def _is_item_list(path: Path_) -> bool:
    return len(path) == 1 and path[0] in policy.ITEM_LISTS


def _diff_list(old: list, new: list, old_path: Path_, new_path: Path_, out: list[Change]) -> None:
    key = _last_key(new_path)
    old_keys = [_item_key(i) for i in old]
    new_keys = [_item_key(i) for i in new]
    keyed = all(old_keys) and all(new_keys) and len(set(old_keys)) == len(old) and len(set(new_keys)) == len(new)
    if keyed and (old or new):
        new_index = {k: i for i, k in enumerate(new_keys)}
        old_index = {k: i for i, k in enumerate(old_keys)}
        gone = [i for i, k in enumerate(old_keys) if k not in new_index]
        came = [j for j, k in enumerate(new_keys) if k not in old_index]
        renamed = _renames(old, new, gone, came)
        for i in gone:
            change = _removed(old_path + (i,), old[i], item=_is_item_list(new_path))
            if i in renamed:
                j = renamed[i]
                message = change.message.replace(" removed", f" renamed to {_what(new[j], new_path + (j,))}")
                change = Change(change.kind, change.path, message, in_old=True)
            out.append(change)
        for j, k in enumerate(new_keys):
            if k in old_index:
                i = old_index[k]
                _diff(old[i], new[j], old_path + (i,), new_path + (j,), out)
            elif j not in renamed.values():
                out.append(_added(new_path + (j,), new[j], item=_is_item_list(new_path)))
        return
    if all(not isinstance(v, dict | list) for v in old + new) or key in policy.EVIDENCE_KEYS:
        canon = [json.dumps(v, sort_keys=True, default=str) for v in old]
        canon_new = [json.dumps(v, sort_keys=True, default=str) for v in new]
        for i, c in enumerate(canon):
            if c not in canon_new:
                out.append(_element(old_path + (i,), old[i], removed=True))
        for j, c in enumerate(canon_new):
            if c not in canon:
                out.append(_element(new_path + (j,), new[j], removed=False))
        return
    for i in range(max(len(old), len(new))):  # positional
        if i >= len(new):
            out.append(_removed(old_path + (i,), old[i]))
        elif i >= len(old):
            out.append(_added(new_path + (i,), new[i]))
        else:
            _diff(old[i], new[i], old_path + (i,), new_path + (i,), out)


def _renames(old: list, new: list, gone: list[int], came: list[int]) -> dict[int, int]:
    """old index -> new index for items that only changed their id (or name): a rename."""
    def body(item: Any) -> str:
        key = (_item_key(item) or "=").split("=", 1)[0]
        return json.dumps({k: v for k, v in item.items() if k != key}, sort_keys=True, default=str)

    free = {j: body(new[j]) for j in came}
    pairs: dict[int, int] = {}
    for i in gone:
        match = next((j for j, text in free.items() if text == body(old[i])), None)
        if match is not None:
            pairs[i] = match
            del free[match]
    return pairs


def _what(value: Any, path: Path_) -> str:
    ident = _item_key(value)
    return f"`{ident.split('=', 1)[1]}`" if ident else f"`{_label(path)}`"


def _removed(path: Path_, value: Any, item: bool | None = None) -> Change:
    item = _is_item_list(path[:-1]) if item is None else item
    key = _last_key(path)
    if item:
        return Change("item-removed", path, f"{path[0]} item {_what(value, path)} removed", in_old=True)
    if key in policy.EVIDENCE_KEYS and value:
        return Change("evidence-removed", path, f"`{_label(path)}` removed ({_count(value)})", in_old=True)
    if key in policy.PROSE_KEYS:
        return Change("wording", path, f"`{_label(path)}` removed (prose)", in_old=True)
    return Change("block-removed", path, f"`{_label(path)}` removed", in_old=True)


def _added(path: Path_, value: Any, item: bool | None = None) -> Change:
    item = _is_item_list(path[:-1]) if item is None else item
    key = _last_key(path)
    if item:
        return Change("item-added", path, f"{path[0]} item {_what(value, path)} added")
    if key in policy.EVIDENCE_KEYS:
        return Change("evidence-added", path, f"`{_label(path)}` added ({_count(value)})")
    if key in policy.PROSE_KEYS:
        return Change("wording", path, f"`{_label(path)}` added (prose)")
    return Change("block-added", path, f"`{_label(path)}` added")


def _count(value: Any) -> str:
    n = len(value) if isinstance(value, list) else 1
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _element(path: Path_, value: Any, *, removed: bool) -> Change:
    key = _last_key(path)
    verb = "removed from" if removed else "added to"
    message = f"{_show(value)!s} {verb} `{_label(path[:-1])}`"
    if key in policy.EVIDENCE_KEYS:
        return Change("evidence-removed" if removed else "evidence-added", path, message, in_old=removed)
    if key in policy.PROSE_KEYS:
        return Change("wording", path, message, in_old=removed)
    return Change("value-changed", path, message, in_old=removed)


def _scalar(old: Any, new: Any, path: Path_) -> Change:
    key = _last_key(path)
    label = _label(path)
    shown = f"`{label}`: {_show(old)!s} -> {_show(new)!s}"
    if path == ("contract_id",):
        return Change("contract-id-changed", path, shown)
    if path == ("status",):
        return Change("status-changed", path, shown)
    if key in ("verdict", "discharge_status"):
        order = policy.VERDICT_ORDER if key == "verdict" else policy.DISCHARGE_ORDER
        if old in order and new in order:
            kind = "verdict-advanced" if order[new] > order[old] else "verdict-weakened"
            return Change(kind, path, shown)
        return Change("verdict-weakened", path, shown)
    bound = _bound_change(old, new, key)
    if bound is not None:
        return Change(bound, path, shown)
    formula = _formula_change(old, new)
    if formula is not None:
        return Change(formula, path, shown + (" (same maths)" if formula == "notation" else ""))
    if key in policy.PROSE_KEYS and isinstance(old, str) and isinstance(new, str):
        return Change("wording", path, f"`{label}` reworded")
    if isinstance(old, str) and isinstance(new, str) and _is_prose(old) and _is_prose(new):
        return Change("wording", path, f"`{label}` reworded")
    return Change("value-changed", path, shown)


def _number(value: Any):
    from fractions import Fraction

    from pv.lifecycle.maths import constant, parse_formula

    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return Fraction(value)
        except (ValueError, OverflowError):
            return None
    node = parse_formula(value)
    return constant(node) if node is not None else None


def _bound_change(old: Any, new: Any, key: str) -> str | None:
    a, b = _number(old), _number(new)
    if a is None or b is None:
        return None
    if a == b:
        return "notation"
    if not policy.is_bound_key(key):
        return "value-changed"
    direction = policy.bound_direction(key)
    if direction is None:
        return "bound-changed"
    stricter = b < a if direction == "upper" else b > a
    return "bound-stricter" if stricter else "bound-looser"


def _formula_change(old: Any, new: Any) -> str | None:
    from pv.lifecycle.maths import parse_formula, same_maths

    a, b = parse_formula(old), parse_formula(new)
    if a is None or b is None:
        return None
    same = same_maths(a, b)
    return "notation" if same else "formula-changed"


def _is_prose(text: str) -> bool:
    """Several words of text (not an identifier, enum value or formula)."""
    return len(text.split()) >= 4
