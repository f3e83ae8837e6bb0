"""Generating text: the engine, sampling, KV caches, stops, detokenizing and the context budget."""
