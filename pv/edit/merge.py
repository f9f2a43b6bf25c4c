"""Put only the lines an edit changed back into the original text.

ruamel.yaml's round trip keeps comments and quotes but may still write some
untouched lines differently (folded scalars, flow sequences, spacing). So an
edit is dumped twice, before (`baseline`) and after (`edited`) the change,
and the difference between those two is applied to the original text: a
three-way merge in which only our change moves.
"""

from __future__ import annotations

from difflib import SequenceMatcher


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _matches(a: list[str], b: list[str]) -> dict[int, int]:
    """b index -> a index for the lines that the longest matching blocks pair up."""
    pairs: dict[int, int] = {}
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            pairs[block.b + k] = block.a + k
    return pairs


def merge_edit(original: str, baseline: str, edited: str) -> str:
    """Apply the change baseline -> edited to `original`, touching no other line (LF line ends)."""
    if baseline == edited:
        return original
    o_lines, b_lines, e_lines = _lines(original), _lines(baseline), _lines(edited)
    b_to_o = _matches(o_lines, b_lines)
    b_to_e = {b: e for e, b in _matches(b_lines, e_lines).items()}  # b index -> e index
    # Anchors: baseline lines that are the same in all three texts, in order.
    anchors = [(-1, -1, -1)]
    for b in range(len(b_lines)):
        if b in b_to_o and b in b_to_e:
            o, e = b_to_o[b], b_to_e[b]
            if o > anchors[-1][1] and e > anchors[-1][2]:
                anchors.append((b, o, e))
    anchors.append((len(b_lines), len(o_lines), len(e_lines)))
    out: list[str] = []
    for (b0, o0, e0), (b1, o1, e1) in zip(anchors, anchors[1:]):
        o_seg, b_seg, e_seg = o_lines[o0 + 1:o1], b_lines[b0 + 1:b1], e_lines[e0 + 1:e1]
        if b_seg == e_seg:
            out.extend(o_seg)  # not edited: the original bytes, however ruamel would write them
        else:
            out.extend(_region(o_seg, b_seg, e_seg))
        if b1 < len(b_lines):
            out.append(o_lines[o1])
    return "".join(out)


def _region(o_seg: list[str], b_seg: list[str], e_seg: list[str]) -> list[str]:
    """The new lines of one region between anchors.

    When the original differs from ruamel's rendering here (a reflowed scalar),
    an edit that only adds lines at the region's start or end keeps the
    original lines between them; any other edit takes ruamel's lines.
    """
    if o_seg == b_seg:
        return e_seg
    head: list[str] = []
    tail: list[str] = []
    for tag, i1, _i2, j1, j2 in SequenceMatcher(None, b_seg, e_seg, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert" and i1 == 0:
            head.extend(e_seg[j1:j2])
        elif tag == "insert" and i1 == len(b_seg):
            tail.extend(e_seg[j1:j2])
        else:
            return e_seg
    return head + o_seg + tail
