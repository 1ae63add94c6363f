"""Operators' command line for milvus-layer7: start, follow and list executions.

Works against AWS with the usual credentials chain, and against the sandbox
when AWS_ENDPOINT_URL points at it.
"""
