"""Loading a model: sources (bundled GGUF, folders, hub cache), conversion and int8 caches,
devices."""
