"""Comment-preserving edits of contract YAML, shared by `pv bump`, `pv new`, `pv validate --fix`
and editor code actions.

- `roundtrip`: ruamel.yaml round-trip load/dump (comments, quotes, key order kept).
- `merge`: patch only the lines an edit changed into the original text, so a
  ruamel reflow elsewhere never reaches the file.
- `textedits`: apply exact `TextEdit`s (the `Finding.fix` of a check).
"""
