"""ValidateUndo: the undo's input resolved with its defaults, one run per host, and the last undo that succeeded."""
