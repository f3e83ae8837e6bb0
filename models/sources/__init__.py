"""Text sources: what the inference worker streams from (the local engine; remote servers next)."""
