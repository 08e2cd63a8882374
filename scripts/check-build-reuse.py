"""Checks that builds apart from the workspace's test build reuse what it compiled, instead of compiling tract,
halo2, rayon and serde again (cargo resolves features per command, and one crate with other features recompiles
every crate above it). scripts/test.sh compiles everything once, with `cargo test --release --workspace
--all-targets`; two later builds must reuse it:

    python3 scripts/check-build-reuse.py python   # maturin's wheel build (python/ alone, as a cdylib):
                                                  # every unit must be the workspace build's
    python3 scripts/check-build-reuse.py cuda     # the CUDA worker (`--features zkinfer-cli/cuda`): it adds
                                                  # halo2-axiom-gpu and its crates, but must not compile the
                                                  # shared core (halo2, tract, rayon, serde, ...) again

Exit 1 on a difference, naming the crates whose features differ; the feature pins in python/Cargo.toml and
prover/Cargo.toml (each commented) then need the missing features.

It compares cargo's unit graphs (`--unit-graph`: every crate compilation a command would run, with its features,
profile, platform and dependencies; a `-Z` flag, enabled here with RUSTC_BOOTSTRAP=1 for this one query, which
compiles nothing). A unit is reused only when its own features and profile match *and* so do all its
dependencies'.
"""

import json
import os
import subprocess
import sys


def unit_graph(*args: str) -> list[dict]:
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    out = subprocess.run(
        ["cargo", *args, "--release", "-Z", "unstable-options", "--unit-graph"],
        check=True, capture_output=True, text=True, env=env,
    ).stdout
    return json.loads(out)["units"]


def own(u: dict) -> tuple:
    """What identifies a unit apart from its dependencies."""
    return (u["pkg_id"], u["target"]["name"], u["mode"], u["platform"], tuple(sorted(u["features"])),
            json.dumps(u["profile"], sort_keys=True))


def identities(units: list[dict]) -> list[tuple]:
    memo: dict[int, tuple] = {}

    def ident(i: int) -> tuple:
        if i not in memo:
            u = units[i]
            deps = tuple(sorted(ident(d["index"]) for d in u["dependencies"]))
            memo[i] = own(u) + (deps,)
        return memo[i]

    return [ident(i) for i in range(len(units))]


def name(u: dict) -> str:
    return f"{u['pkg_id'].split('#')[-1]} ({u['target']['name']}, {u['mode']})"


# crates the CUDA build may compile again: those whose features it changes on purpose, and the small logging
# chain (regex, tracing-subscriber) that halo2-axiom-gpu's env_logger widens, up to the CLI that links it
CUDA_MAY_REBUILD = {"zkinfer-cli", "zkinfer-prover", "zkinfer-market", "tracing-subscriber", "matchers", "regex",
                    "regex-automata", "regex-syntax"}


def differing(build: list[dict], ws: list[dict], allowed) -> list[str]:
    """Units of `build` that the workspace build does not have, except new crates and `allowed` ones, reported
    where they differ in their own features or profile (not merely through a dependency)."""
    ws_ids = set(identities(ws))
    ws_own: dict[tuple, list[dict]] = {}
    for u in ws:
        ws_own.setdefault(own(u)[:4], []).append(u)
    ws_pkgs = {u["pkg_id"] for u in ws}
    bad = set()
    for u, ident in zip(build, identities(build)):
        pkg = u["pkg_id"].split("#")[-1].split("@")[0]
        if ident in ws_ids or pkg in allowed or u["pkg_id"] not in ws_pkgs:
            continue
        same = ws_own.get(own(u)[:4], [])
        if own(u) in {own(w) for w in same}:
            continue  # same features and profile: it differs only through a dependency, reported on its own
        theirs = [sorted(w["features"]) for w in same]
        bad.add(f"{name(u)}: built with features {sorted(u['features'])} "
                f"(opt-level {u['profile']['opt_level']}); the workspace builds {theirs or 'no such unit'}")
    return sorted(bad)


def main() -> int:
    which = sys.argv[1] if len(sys.argv) == 2 else ""
    ws = unit_graph("test", "--workspace", "--all-targets", "--no-run")
    if which == "python":
        # what maturin runs: the binding alone, as a cdylib
        build = unit_graph("rustc", "-p", "zkinfer-python", "--lib", "--crate-type", "cdylib")
        bad = differing(build, ws, {"zkinfer-python"})
        pins = "python/Cargo.toml"
    elif which == "cuda":
        # what scripts/test.sh's CUDA step runs
        build = unit_graph("test", "--workspace", "--features", "zkinfer-cli/cuda", "--test", "gpu", "--no-run")
        bad = differing(build, ws, CUDA_MAY_REBUILD)
        pins = "prover/Cargo.toml"
    else:
        print("usage: check-build-reuse.py python|cuda", file=sys.stderr)
        return 2
    for line in bad:
        print(line)
    if bad:
        print(f"error: pin these features in {pins} (its feature pins: [dependencies] for crates the code"
              " links, [build-dependencies] for those of build scripts and proc-macros), or this build compiles"
              " them and every crate above them again", file=sys.stderr)
        return 1
    ws_ids = set(identities(ws))
    extra = sum(1 for i in identities(build) if i not in ws_ids)
    print(f"{which}: reuses the workspace build; {extra} of its {len(build)} units are its own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
