"""The porting guide, generated from the backends' source (`guide`), with the idioms that
differ between frameworks (`idioms`: their names; each backend declares its own ways)."""
