"""Tables (markdown) and charts (SVG, matplotlib) of bench/ezkl_compare.py's results."""
import json
import os

PHASES = ["synthesis", "advice_commit", "lookup_permuted", "permutation_product", "lookup_product",
          "vanishing_blind", "quotient", "evaluations", "multiopen"]
MB = 1e6


def onnx_macs(path):
    """MACs of Gemm/MatMul/Conv nodes (for models without a meta.json)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    shapes = onnx.shape_inference.infer_shapes(m)
    dims = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in list(shapes.graph.value_info) + list(shapes.graph.output)}
    total = 0
    for n in m.graph.node:
        w = inits.get(n.input[1]) if len(n.input) > 1 else None
        if w is None or n.op_type not in ("Gemm", "MatMul", "Conv"):
            continue
        out = int(np.prod(dims.get(n.output[0], [1]) or [1]))
        per = int(np.prod(w.shape[1:])) if n.op_type == "Conv" else (
            w.shape[1] if n.op_type == "Gemm" and any(a.name == "transB" and a.i for a in n.attribute) else w.shape[0])
        total += per * out
    return {"macs": total, "params": sum(int(np.prod(i.dims)) for i in m.graph.initializer),
            "ops": sorted({n.op_type for n in m.graph.node})}


def step(t, name, key="s"):
    s = t.get("steps", {}).get(name)
    return None if s is None else s[key]


def fmt(v, spec="{:.2f}", none="-"):
    return none if v is None else spec.format(v)


def status(t):
    if t.get("unsupported"):
        return "unsupported: " + t["unsupported"].replace("error: ", "").split("; supported")[0]
    if t.get("skipped"):
        return "skipped: " + t["skipped"]
    if t.get("error"):
        return "failed: " + t["error"]
    return None


def row_line(r):
    z, e = r["zkinfer"], r["ezkl"]
    zs = status(z) or f"prove {step(z, 'prove'):.2f}s k={z.get('logrows')}"
    es = status(e) or f"prove {step(e, 'prove'):.2f}s logrows {e.get('logrows')}"
    sp = f", speed-up {r['prove_speedup']:.1f}x" if "prove_speedup" in r else ""
    return f"{r['model']}: zkinfer {zs}; ezkl {es}{sp}"


def machine_line(out):
    m = out["machine"]
    if "note" in m:
        load = m["note"]
    elif m.get("loadavg") is not None:
        load = (f"1-minute load average {m['loadavg']:.2f} when the run started; other work on the machine shows "
                f"up as noise")
    else:
        load = "**shared** with two other engineers compiling and testing during the run: absolute times are noisy"
    return (f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['platform']}, {load}; the tools "
            f"alternate model by model so both see the same conditions. EZKL {m['ezkl']} (PyPI), zkinfer "
            f"{m.get('zkinfer_version') or 'at commit ' + m['zkinfer_commit']}, {m['date']}.\n\nCommand: `{out['command'].strip()}`\n")


COLUMNS = """Columns: *calibrate + compile*: EZKL gen-settings + calibrate-settings (resources) + compile-circuit;
zkinfer compile (lowering, calibration on the same samples, layout). *srs*: EZKL gen-srs (local, insecure; zkinfer's
cached development SRS is loaded inside its setup). *setup*: proving and verifying keys. *prove*: witness generation +
proof, keys read from disk (zkinfer: the whole `zkinfer prove` process; EZKL: the gen_witness + prove calls inside
the Python process, interpreter start-up and `import ezkl` excluded). *verify*: one verification. *peak MB*: max RSS
of the prove process. *output error*: max |proved - float| / max |float|, float = onnxruntime on the same input.
Ratios: EZKL / zkinfer (higher is better for zkinfer)."""


def write_side_by_side(out, results):
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "ezkl_side_by_side.json"), "w") as f:
        json.dump(out, f, indent=1)
    with open(os.path.join(results, "ezkl_side_by_side.md"), "w") as f:
        f.write(side_by_side_md(out))
    chart_side_by_side(out, os.path.join(results, "ezkl_side_by_side.svg"))


def side_by_side_md(out):
    L = ["# zkinfer vs EZKL, side by side\n", machine_line(out),
         "\n## Summary\n",
         "| model | MACs | zkinfer prove | EZKL prove | **prove speed-up** | prove peak memory zkinfer / EZKL | "
         "**memory ratio** | setup speed-up |",
         "|---|---|---|---|---|---|---|---|"]
    for r in out["rows"]:
        z, e = r["zkinfer"], r["ezkl"]
        macs = (r.get("meta") or {}).get("macs")
        zp = status(z) or f"{step(z, 'prove'):.2f} s (k = {z['logrows']})"
        ep = status(e) or f"{step(e, 'prove'):.2f} s (logrows {e['logrows']})"
        mem = "-"
        if step(z, "prove") is not None and step(e, "prove") is not None:
            mem = f"{step(z, 'prove', 'peak_bytes') / MB:.0f} MB / {step(e, 'prove', 'peak_bytes') / MB:.0f} MB"
        L.append(f"| {r['model']} | {fmt(macs, '{:,}')} | {zp} | {ep} | "
                 f"{fmt(r.get('prove_speedup'), '**{:.1f}x**')} | {mem} | {fmt(r.get('memory_ratio'), '**{:.1f}x less**')} | "
                 f"{fmt(r.get('setup_speedup'), '{:.1f}x')} |")
    L += ["\n## Every step (seconds; median run)\n",
          "| model | tool | logrows | calibrate + compile | srs | setup | prove | verify | proof bytes | prove peak MB | output error |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in out["rows"]:
        for tool in ("zkinfer", "ezkl"):
            t = r[tool]
            st = status(t)
            if st and step(t, "prove") is None:
                L.append(f"| {r['model']} | {tool} | {t.get('logrows', '-')} | {st} | | | | | | | |")
                continue
            cc = sum(step(t, s) or 0 for s in ("compile", "settings"))
            srs = "cached" if t.get("srs_cached") else fmt(step(t, "srs"))
            L.append(f"| {r['model']} | {tool} | {t['logrows']} | {cc:.2f} | {srs} | "
                     f"{step(t, 'setup'):.2f} | {step(t, 'prove'):.2f} | {step(t, 'verify'):.3f} | {t['proof_bytes']} | "
                     f"{step(t, 'prove', 'peak_bytes') / MB:.0f} | {fmt(t.get('output_rel_err'), '{:.2%}')} |")
    L += ["\n" + COLUMNS + "\n", phases_md(out["rows"]),
          "\n![zkinfer vs EZKL: prove time and peak memory](ezkl_side_by_side.svg)\n"]
    return "\n".join(L) + "\n"


def phases_md(rows):
    L = ["\n## Where zkinfer's proving time goes\n",
         "From `zkinfer bench` on the same model and input (median of 3 proofs, keys in memory; phases are cut at "
         "the transcript's challenges, see cli/src/bench/phases.rs). Share of the proving time:\n",
         "| model | k | advice / fixed / lookups | prove (in memory) | " + " | ".join(PHASES) + " |",
         "|---|---|---|---|" + "---|" * len(PHASES)]
    for r in rows:
        b = r.get("zkinfer_bench") or {}
        if not b.get("prove_phases"):
            continue
        c = b["circuit"]
        prove = next(s for s in b["stages"] if s["name"] == "prove")
        shares = {p["name"]: p["share_of_prove"] for p in b["prove_phases"]}
        L.append(f"| {r['model']} | {c['k']} | {c['advice_columns']} / {c['fixed_columns']} / {c['lookups']} | "
                 f"{prove['median_ms']:.0f} ms | " + " | ".join(f"{100 * shares.get(p, 0):.0f}%" for p in PHASES) + " |")
    return "\n".join(L) + "\n"


def chart_side_by_side(out, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = out["rows"]
    names = [r["model"] for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    for ax, key, label in ((axes[0], "s", "prove time (s, log scale)"),
                           (axes[1], "peak_bytes", "prove peak memory (MB, log scale)")):
        for j, (tool, color) in enumerate((("zkinfer", "#1f77b4"), ("ezkl", "#ff7f0e"))):
            xs = [i + (j - 0.5) * 0.38 for i in range(len(rows))]
            vals = [step(r[tool], "prove", key) for r in rows]
            vals = [None if v is None else (v / MB if key == "peak_bytes" else v) for v in vals]
            ax.bar([x for x, v in zip(xs, vals) if v is not None], [v for v in vals if v is not None], 0.38,
                   label="zkinfer" if tool == "zkinfer" else "EZKL", color=color)
            for x, v, r in zip(xs, vals, rows):
                if v is None:
                    why = "unsupported" if r[tool].get("unsupported") else (
                        "skipped" if r[tool].get("skipped") else "failed")
                    ax.text(x, 0.02, f"{'zkinfer' if tool == 'zkinfer' else 'EZKL'}: {why}", rotation=90,
                            ha="center", va="bottom", fontsize=7, color=color, transform=ax.get_xaxis_transform())
        ax.set_yscale("log")
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels(names, rotation=25, ha="right", fontsize=8)
        ax.set_ylabel(label)
        ratio = "prove_speedup" if key == "s" else "memory_ratio"
        for i, r in enumerate(rows):
            if r.get(ratio):
                top = max(step(r[t], "prove", key) for t in ("zkinfer", "ezkl"))
                top = top / MB if key == "peak_bytes" else top
                ax.text(i, top * 1.15, f"{r[ratio]:.1f}x", ha="center", fontsize=8, fontweight="bold")
        ax.legend(fontsize=8)
    m = out["machine"]
    fig.suptitle(f"zkinfer vs EZKL {m['ezkl']}: prove (witness + proof), side by side on {m['nproc']} CPUs "
                 f"({m['cpu']}), shared machine", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def write_scaling(out, results):
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "scaling.json"), "w") as f:
        json.dump(out, f, indent=1)
    with open(os.path.join(results, "scaling.md"), "w") as f:
        f.write(scaling_md(out))
    chart_scaling(out, os.path.join(results, "scaling.svg"))


def scaling_md(out):
    L = ["# Scaling: proving time and memory against model size\n",
         "MLP family 256-W-W-10 (Gemm, Relu; He-init random weights), widened step by step. "
         "Each step runs both tools' pipelines side by side as in the comparison (one run per step). "
         "EZKL steps predicted to need more than 16 GB (the machine has 24 GiB, shared) or more than the "
         "per-step time limit are skipped and marked.\n", machine_line(out),
         "\n| width | MACs | zkinfer k | zkinfer prove s | zkinfer peak MB | EZKL logrows | EZKL prove s | "
         "EZKL peak MB | prove speed-up | memory ratio |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    for r in out["rows"]:
        z, e = r["zkinfer"], r["ezkl"]
        macs = (r.get("meta") or {}).get("macs")
        zc = (f"{z.get('logrows')} | {step(z, 'prove'):.2f} | {step(z, 'prove', 'peak_bytes') / MB:.0f}"
              if step(z, "prove") is not None else f"- | {status(z)} | -")
        ec = (f"{e.get('logrows')} | {step(e, 'prove'):.2f} | {step(e, 'prove', 'peak_bytes') / MB:.0f}"
              if step(e, "prove") is not None else f"{e.get('logrows', '-')} | {status(e)} | -")
        L.append(f"| {r['width']} | {fmt(macs, '{:,}')} | {zc} | {ec} | {fmt(r.get('prove_speedup'), '{:.1f}x')} | "
                 f"{fmt(r.get('memory_ratio'), '{:.1f}x')} |")
    L += ["\n" + COLUMNS + "\n", phases_md(out["rows"]), "\n![scaling](scaling.svg)\n"]
    return "\n".join(L) + "\n"


def chart_scaling(out, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = out["rows"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for ax, key, label in ((axes[0], "s", "prove time (s)"), (axes[1], "peak_bytes", "prove peak memory (MB)")):
        for tool, color, name, kname in (("zkinfer", "#1f77b4", "zkinfer", "k"), ("ezkl", "#ff7f0e", "EZKL", "logrows")):
            pts = [(r["meta"]["macs"], step(r[tool], "prove", key), r[tool].get("logrows")) for r in rows
                   if step(r[tool], "prove", key) is not None]
            if pts:
                xs, ys = [p[0] for p in pts], [p[1] / MB if key == "peak_bytes" else p[1] for p in pts]
                ax.plot(xs, ys, "o-", color=color, label=name)
                for x, y, k in zip(xs, ys, [p[2] for p in pts]):
                    ax.annotate(f"{kname} {k}", (x, y), textcoords="offset points", xytext=(4, -10 if tool == "zkinfer" else 6),
                                fontsize=7, color=color)
            for r in rows:
                if step(r[tool], "prove") is None and (r[tool].get("skipped") or r[tool].get("error")):
                    ax.axvline(r["meta"]["macs"], color=color, ls=":", lw=1)
                    ax.text(r["meta"]["macs"], 0.5, f"{name} not run\n({r[tool].get('logrows', '?')} logrows)",
                            rotation=90, fontsize=7, color=color, transform=ax.get_xaxis_transform(), va="center")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("model size (multiply-accumulates)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.25)
        ax.legend(fontsize=8)
    m = out["machine"]
    fig.suptitle(f"Scaling over MLP 256-W-W-10: zkinfer vs EZKL {m['ezkl']}, {m['nproc']} CPUs ({m['cpu']}), "
                 "shared machine", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def redraw(results):
    for name, md, chart in (("ezkl_side_by_side", side_by_side_md, chart_side_by_side),
                            ("scaling", scaling_md, chart_scaling)):
        p = os.path.join(results, f"{name}.json")
        if os.path.exists(p):
            out = json.load(open(p))
            with open(os.path.join(results, f"{name}.md"), "w") as f:
                f.write(md(out))
            chart(out, os.path.join(results, f"{name}.svg"))
