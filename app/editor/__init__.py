"""The writing surface: the editor widget, the ghost-text suggestion it draws, its keys and word
count."""
