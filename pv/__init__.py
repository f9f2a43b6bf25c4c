"""pv: validate versioned contract YAML: schema, consistency, formulas, evidence."""

__version__ = "0.1.0"
