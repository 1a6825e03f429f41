"""People of concern, locations, vehicles, groups, links, missing episodes and pursuit (issue 6).

A domain app: it depends on the kernel in `evolve`, and on another domain app only through that app's public
services and selectors (import-linter contracts in pyproject.toml)."""
