"""Developer tools that read the app from outside: they may import app.py; stacks/ never does.

Like app.py, they put ``lambdas/`` on the path: the stack imports the
contract's error names from the Lambdas' own package.
"""

import sys
from pathlib import Path

_LAMBDAS = str(Path(__file__).resolve().parent.parent / "lambdas")
if _LAMBDAS not in sys.path:
    sys.path.insert(0, _LAMBDAS)
