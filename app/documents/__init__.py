"""The writer's documents: text files, the autosave journal and recovery, outside changes."""
