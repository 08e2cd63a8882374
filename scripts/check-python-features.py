"""Checks that the Python binding (python/, built alone by maturin) compiles every dependency with the same
features as the workspace's test build, so the wheel reuses the crates scripts/test.sh's
`cargo test --workspace` compiled instead of
recompiling tract, halo2 and serde with other features (cargo unifies features per command, and maturin builds
one package). Prints what python/Cargo.toml's feature pins must add when a dependency's features differ.

    python3 scripts/check-python-features.py     # exit 1 on a difference
"""

import subprocess
import sys


def feature_sets(edges: str, *selection: str) -> dict[str, set[str]]:
    out = subprocess.run(
        ["cargo", "tree", *selection, "-e", edges, "--prefix", "none", "-f", "{p}|{f}"],
        check=True, capture_output=True, text=True,
    ).stdout
    sets: dict[str, set[str]] = {}
    for line in out.splitlines():
        if "|" in line:
            pkg, feats = line.replace(" (*)", "").split("|", 1)
            sets.setdefault(pkg.strip(), set()).add(feats.strip())
    return sets


def main() -> int:
    # maturin: the binding alone, no dev-dependencies; the test build it should share crates with:
    # scripts/test.sh's `cargo test --release --workspace --all-targets --exclude zkinfer-evm` (dev-dependencies in)
    py = feature_sets("normal,build", "-p", "zkinfer-python")
    ws = feature_sets("normal,build,dev", "--workspace", "--exclude", "zkinfer-evm")
    bad = [(pkg, sorted(f - ws.get(pkg, set())), sorted(ws.get(pkg, set())))
           for pkg, f in sorted(py.items()) if not f <= ws.get(pkg, set())]
    for pkg, mine, theirs in bad:
        print(f"{pkg}: the wheel build would use features {mine}; the workspace build uses {theirs}")
    if bad:
        print("error: pin these features in python/Cargo.toml (its feature pins), or the wheel recompiles them",
              file=sys.stderr)
        return 1
    print(f"python: all {len(py)} dependencies build with the workspace's features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
