"""Penwright's desktop application (PySide6). Imports torch only inside the inference worker."""
