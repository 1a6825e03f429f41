"""Settings: base (shared, read from the environment), local, test and production."""
