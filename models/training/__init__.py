"""Learning a writer's style: a LoRA adapter trained on their own texts, stored as a named style."""
