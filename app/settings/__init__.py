"""Settings: the typed store over QSettings, the Preferences pages, and applying changes live."""
