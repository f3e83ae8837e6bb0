"""penwright-cli: continue a file, diagnose the machine, benchmark the engine."""
