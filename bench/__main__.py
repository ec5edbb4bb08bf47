"""``python -m bench NAME [options]``: run one benchmark, or ``all`` with their defaults.

Each benchmark module exposes ``main(argv) -> int`` and prints one JSON object
on its last line.
"""

import importlib
import sys

BENCHMARKS = ["issue", "fanout", "booking", "day", "plan", "soak"]


def main(argv: list[str]) -> int:
    """Dispatch to bench/<name>.py."""
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python -m bench {{{','.join(BENCHMARKS)},all}} [options]")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    names = BENCHMARKS if name == "all" else [name]
    status = 0
    for n in names:
        try:
            module = importlib.import_module(f"bench.{n}")
        except ModuleNotFoundError:
            print(f"no benchmark named {n!r}", file=sys.stderr)
            status = 2
            continue
        status |= module.main(rest)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
