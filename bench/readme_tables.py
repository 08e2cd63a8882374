"""The README's tables of figures, generated from bench/results/*.json (never edited by hand).

    python3 bench/readme_tables.py           # rewrite the generated blocks (README.md, evm/ and escrow/README.md)
    python3 bench/readme_tables.py --check   # exit 1 if a block differs from what the results say (CI)

A generated block sits between `<!-- generated: NAME -->` and `<!-- end generated: NAME -->`; each names the
machine, the date and the zkinfer binary (`zkinfer --version`, or the commit for runs recorded before the
version was).
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")
MB = 1e6


def step(t, name, key="s"):
    s = t.get("steps", {}).get(name)
    return None if s is None else s[key]


def binary(m):
    if m.get("zkinfer_version"):
        return f"`{m['zkinfer_version']}`"
    return f"commit {m['zkinfer_commit']}"


def ezkl_side_by_side():
    out = json.load(open(os.path.join(RESULTS, "ezkl_side_by_side.json")))
    m = out["machine"]
    lines = [
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM; {m['date']}; zkinfer {binary(m)}; "
        f"EZKL {m['ezkl']}; `{out['command'].strip()}` (medians of {out.get('repeat', 1)} alternating runs). "
        f"Output error: max |proved - float| / max |float| against onnxruntime.",
        "",
        "| model | MACs | zkinfer prove | EZKL prove | speed-up | peak memory zkinfer / EZKL | output error zkinfer / EZKL |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in out["rows"]:
        z, e = r["zkinfer"], r["ezkl"]
        zp, ep = step(z, "prove"), step(e, "prove")
        if zp is None or ep is None:
            lines.append(f"| {r['model']} | | {z.get('unsupported') or z.get('error') or '-'} | | | | |")
            continue
        macs = (r.get("meta") or {}).get("macs")
        zm, em = step(z, "prove", "peak_bytes") / MB, step(e, "prove", "peak_bytes") / MB
        lines.append(
            f"| {r['model']} | {macs:,} | {zp:.2f} s (k = {z['logrows']}) | {ep:.2f} s (logrows {e['logrows']}) | "
            f"**{r['prove_speedup']:.1f}x** | {zm:.0f} MB / {em:.0f} MB ({r['memory_ratio']:.1f}x less) | "
            f"{z['output_rel_err']:.2%} / {e['output_rel_err']:.2%} |")
    return "\n".join(lines)


def escrow_gas():
    d = json.load(open(os.path.join(RESULTS, "escrow-gas.json")))
    lines = [f"`{d['contract']}` ({d['deployed_bytes']:,} bytes deployed), solc {d['solc']} with {d['optimizer_runs']} "
             f"optimiser runs, {d['evm']}; whole transactions, gas is deterministic "
             f"(`bench/results/escrow-gas.json`, written by `ZKINFER_WRITE_GAS=1 cargo test --release -p "
             f"zkinfer-escrow --test gas`):", "", "| transaction | gas |", "|---|---:|"]
    lines += [f"| {t['what']} | {t['gas']:,} |" for t in d["transactions"]]
    return "\n".join(lines)


def evm_verifiers():
    d = json.load(open(os.path.join(RESULTS, "evm_verifiers.json")))
    lines = [f"Each bundled model's generated verifier (`bench/results/evm_verifiers.json`, written by "
             f"`{d['command']}`; EIP-170 limit {d['limit_bytes']:,} bytes):", "",
             "| model | k | layout shipped | verifier bytes | verify gas (one proof, whole transaction) |",
             "|---|---|---|---:|---:|"]
    for m in d["models"]:
        lay = m["exported_layout"]
        r = m.get(lay) or {}
        size = f"{r.get('verifier_bytes', 0):,}" + (f" + {r['data_bytes']:,} data" if r.get("data_bytes") else "")
        gas = f"{r['verify_gas']:,}" if r.get("verify_gas") else "-"
        lines.append(f"| {m['model']} | {m['k']} | {lay} | {size} | {gas} |")
    return "\n".join(lines)


BLOCKS = {"ezkl_side_by_side": ezkl_side_by_side, "escrow_gas": escrow_gas, "evm_verifiers": evm_verifiers}
# which file holds each block
FILES = {
    "README.md": ["ezkl_side_by_side"],
    "evm/README.md": ["evm_verifiers"],
    "escrow/README.md": ["escrow_gas"],
}


def render(file, text):
    for name in FILES[file]:
        make = BLOCKS[name]
        pattern = re.compile(rf"(<!-- generated: {name} -->\n).*?(<!-- end generated: {name} -->)", re.S)
        if not pattern.search(text):
            sys.exit(f"{file} has no generated block '{name}'")
        text = pattern.sub(lambda mt: mt.group(1) + make() + "\n" + mt.group(2), text)
    return text


def main():
    for file in FILES:
        path = os.path.join(ROOT, file)
        text = open(path).read()
        new = render(file, text)
        if "--check" in sys.argv:
            if new != text:
                sys.exit(f"{file}'s generated tables differ from bench/results: run python3 bench/readme_tables.py")
            continue
        open(path, "w").write(new)


if __name__ == "__main__":
    main()
