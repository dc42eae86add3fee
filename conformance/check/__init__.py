"""check: judge a learner's corr2d, Conv2D and learning loop (see cli.py), the submission sandboxed
(child/ runs in the sandbox; sandbox/ starts and watches it; judging/ decides)."""
