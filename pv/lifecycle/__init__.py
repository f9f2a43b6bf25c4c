"""A contract's life: what changed between two versions (`pv diff`), the bump it requires,
its dependency graph (`pv graph`) and how much of it is covered by evidence (`pv coverage`)."""
