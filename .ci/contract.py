"""What is built keeps the core contract: `../shared/checks/contract_check.py` on schema.graphql,
failing only on broken promises.

The contract names capabilities not built yet; the checker reports those as TYPE_REMOVED or
FIELD_REMOVED. They are listed, not failed on, until the contract is complete. Every other
breaking change (a changed type or argument, a removed enum value, a new required input...)
breaks a client and fails.

Usage: python .ci/contract.py PATH/TO/contract_check.py [schema.graphql]
"""

from __future__ import annotations

import re
import subprocess
import sys

NOT_BUILT_YET = {"TYPE_REMOVED", "FIELD_REMOVED"}
CHANGE = re.compile(r"^contract: ([A-Z_]+): (.*)$", re.M)


def main(checker: str, schema: str = "schema.graphql") -> int:
    done = subprocess.run(
        [sys.executable, checker, schema], capture_output=True, text=True, check=False
    )
    changes = CHANGE.findall(done.stdout)
    if done.returncode not in (0, 1) or (done.returncode == 1 and not changes):
        print(done.stdout + done.stderr, file=sys.stderr)
        print(f"contract: the checker failed (exit {done.returncode})", file=sys.stderr)
        return 1
    broken = [(kind, text) for kind, text in changes if kind not in NOT_BUILT_YET]
    unbuilt = len(changes) - len(broken)
    for kind, text in broken:
        print(f"contract: BROKEN {kind}: {text}", file=sys.stderr)
    print(
        f"contract: {len(broken)} broken promise(s); "
        f"{unbuilt} contract name(s) not built yet (TYPE_REMOVED / FIELD_REMOVED)"
    )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
