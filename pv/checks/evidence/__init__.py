"""Gate evidence: resolve, judge and run the tests that discharge a contract's gates.

Importing this package is cheap: `rules` only registers rule codes; the
checks, the runner and the CLI import what they need when called.
"""
