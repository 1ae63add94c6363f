"""The error classes are the contract's error table, name for name."""

import re
from pathlib import Path

from layer7 import errors

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "CONTRACT.md"


def contract_error_names() -> list[str]:
    text = CONTRACT.read_text()
    # the first table under the heading (the retry budgets' table follows it)
    table = text.split("## Errors", 1)[1].split("| error | when |", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)


def test_every_contract_error_has_a_class_of_that_name():
    # Given the contract's error table
    names = contract_error_names()
    # Then the Lambdas raise exactly those names, in that order, and the table
    # ends with TransientError, which the state machine retries before it ends a run
    assert names == [*errors.CONTRACT_ERROR_NAMES, "TransientError"]
    for name in errors.CONTRACT_ERROR_NAMES:
        assert issubclass(getattr(errors, name), errors.Layer7Error)


def test_transient_error_is_not_a_contract_error():
    assert not issubclass(errors.TransientError, errors.Layer7Error)
