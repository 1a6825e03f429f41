"""The monthly nine-measure report, its builds and the QA sample (issue 7).

A domain app: it depends on the kernel in `evolve`, and on another domain app only through that app's public
services and selectors (import-linter contracts in pyproject.toml)."""
