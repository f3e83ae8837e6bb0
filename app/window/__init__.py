"""The window chrome: main window, status bar, theme, and the Help dialogs."""
