"""Throwaway material that both the tests and the sandbox need, and that is part of neither product nor stand-in.

``certs``: a CA and server certificates, built to break one rule at a time.
``executions``: waiting on a Step Functions execution's end or state.
Product tests import this instead of the sandbox, so they never depend on a
stand-in's behaviour.
"""
