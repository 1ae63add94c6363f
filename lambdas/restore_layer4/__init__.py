"""RestoreLayer4: the undo's first change; the Service gets back what RemoveLayer4 recorded on it."""
