"""Validate: the first state; refuses a bad input before anything anywhere is changed."""
