"""Developer tools that read the app from outside: they may import app.py; stacks/ never does."""
