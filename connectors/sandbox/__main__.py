"""``python -m connectors.sandbox``: serve the vendor simulators, as ``seatwise sandbox serve``."""

from __future__ import annotations

import argparse
from pathlib import Path

from connectors.sandbox.server import SIMULATORS, serve_forever


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m connectors.sandbox")
    parser.add_argument("--seed", type=int, default=1, help="company seed")
    parser.add_argument("--size", type=int, default=200, help="number of employees")
    parser.add_argument("--tls-dir", type=Path, default=Path(".sandbox/tls"))
    parser.add_argument("--kind", action="append", choices=sorted(SIMULATORS), dest="kinds")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    serve_forever(
        seed=args.seed,
        size=args.size,
        tls_dir=args.tls_dir,
        kinds=args.kinds or tuple(SIMULATORS),
        host=args.host,
    )


if __name__ == "__main__":
    main()
