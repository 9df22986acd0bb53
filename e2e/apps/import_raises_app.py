"""Fails while being imported."""
raise RuntimeError("e2e: import failed")
