"""`pv lsp`: pv's checks, hover, go-to-definition, completion and quick fixes in the editor.

An optional extra (`pip install 'pv-contracts[lsp]'`): nothing else in pv imports
this package. `server` is the only module that imports pygls; the others work on
pv's own types (Document, Finding) and plain positions, so they can be tested
without a client.
"""
