"""Mapping pages: records and links (`records`), the network and hotspot map (`network`), pursuit and the
Intelligence Sharing Meeting pack (`pursuit`)."""
