"""Penwright, a local AI writing assistant.

The repository root is this package: ``app/`` is ``penwright.app`` (the PySide6 editor),
``models/`` is ``penwright.models`` (the engine, no Qt), ``cli/`` and ``benchmarks/`` sit beside
them, ``resources/`` is ``penwright.resources``.
"""

from importlib import metadata

SOURCE_VERSION = "0.0.0+source"
"""The version of a source tree that was never installed."""

try:
    __version__ = metadata.version("penwright")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = SOURCE_VERSION
