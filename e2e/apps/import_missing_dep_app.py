"""Imports a module that does not exist."""
import no_such_dependency_e2e  # noqa: F401
