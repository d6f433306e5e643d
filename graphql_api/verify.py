"""Check an exported evidence document offline:

    python -m graphql_api.verify evidence.json --keys tradequote-keys.json

`evidence.json` is what the `quoteEvidence` query returns; `tradequote-keys.json` is the
server's /.well-known/tradequote-keys.json. Exit status 0 when the chain recomputes, the seal
verifies, every disclosed personal value matches its salted hash and the lines equal the signed
terms; 1 (with the problems) otherwise. Needs nothing but `cryptography`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models.evidence import check
from models.sealing import public_keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graphql_api.verify", description=__doc__)
    parser.add_argument("evidence", type=Path, help="the exported evidence (JSON)")
    parser.add_argument("--keys", type=Path, required=True, help="the server's public keys (JSON)")
    args = parser.parse_args(argv)
    try:
        evidence = json.loads(args.evidence.read_bytes())
        keys = public_keys(json.loads(args.keys.read_bytes()))
        problems = check(evidence, keys)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        problems = [f"unreadable input: {error}"]
    if problems:
        for problem in problems:
            print(f"FAIL {problem}")
        return 1
    seal = evidence["seal"]
    print(f"OK {len(evidence['events'])} events, head {seal['headHash']} sealed by {seal['keyId']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
