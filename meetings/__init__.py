"""The weekly CSE risk-assessment meeting, strategy discussions, CIN meetings and minutes (issue 5).

A domain app: it depends on the kernel in `evolve`, and on another domain app only through that app's public
services and selectors (import-linter contracts in pyproject.toml)."""
