"""Code every step of the milvus-layer7 workflow shares.

Imported by the step handlers (``lambdas/<step>/handler.py``); the whole
``lambdas/`` folder is each function's code asset, so this package travels
with every function.
"""
