"""MARF and CSE referral form, SPOC, triage, MASH and the referral state machine (issue 3).

A domain app: it depends on the kernel in `evolve`, and on another domain app only through that app's public
services and selectors (import-linter contracts in pyproject.toml)."""
