"""The writer's story context: memory, author's note, lore and banned phrases (no Qt here)."""
