"""The one thread boundary: the controller (GUI thread) and the worker (its QThread) driving a text
source."""
