"""Section 6 (the ``going_further`` assignment): Dyna-Q+, prioritized sweeping, the slippery world, Gymnasium."""
