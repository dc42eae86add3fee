"""`tabs CHAPTER.md`: do a d2l chapter's framework tabs show the same thing, step by step?

- `chapter`: the chapter's tabs and steps (the book's groups of tabbed code blocks);
- `runner`: each tab in its backend's environment, in `check`'s sandbox, twice (two seeds);
- `judge`: per step, the tabs' errors, values and shapes compared;
- `summary`: the document (JSON), a line per step, the Markdown table;
- `cli`: the command.
"""
