"""The models a writer can choose, and downloading one from the hub."""
