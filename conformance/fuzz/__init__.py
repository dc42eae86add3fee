"""Differential fuzzing: generated cases (`generate`) through one worker per backend
(`workers`), compared, shrunk on failure (`run`)."""
