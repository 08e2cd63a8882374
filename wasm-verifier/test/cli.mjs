// Finds and runs the `zkinfer` CLI for the tests: $ZKINFER_BIN if set, else target/release/zkinfer under
// $CARGO_TARGET_DIR (when set) or the repository. Build it with `cargo build --release --bin zkinfer`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function zkinferBin() {
  if (process.env.ZKINFER_BIN) return process.env.ZKINFER_BIN;
  const target = process.env.CARGO_TARGET_DIR ? path.resolve(repo, process.env.CARGO_TARGET_DIR) : path.join(repo, "target");
  return path.join(target, "release", process.platform === "win32" ? "zkinfer.exe" : "zkinfer");
}

export function run(args) {
  const bin = zkinferBin();
  assert.ok(fs.existsSync(bin), `${bin} is missing: build it (cargo build --release --bin zkinfer) or set ZKINFER_BIN`);
  const r = spawnSync(bin, args, { encoding: "utf8" });
  return { code: r.status, out: (r.stdout || "") + (r.stderr || "") };
}

export function must(args) {
  const r = run(args);
  assert.equal(r.code, 0, `zkinfer ${args.join(" ")}:\n${r.out}`);
  return r.out;
}

/** Whether this CLI's `verify` knows `--allow-dev-srs` (then it refuses development params by default). */
export function cliHasAllowDevSrs() {
  return run(["verify", "--help"]).out.includes("--allow-dev-srs");
}

/** Compiles, sets up (development SRS) and proves a bundled model into `dir`; returns the proof's path.
 * `proveArgs` go to `zkinfer prove` (e.g. `["--transcript", "evm", "--bind", hex]`). */
export function proveBundled(name, dir, proofPath, proveArgs = []) {
  const models = path.join(repo, "models", name);
  must(["compile", path.join(models, "model.onnx"), "--out", dir, "--sample", path.join(models, "calibration.json")]);
  must(["setup", dir]);
  proveAgain(name, dir, proofPath, proveArgs);
  return proofPath;
}

/** Proves a bundled model's input again in an already set up `dir`. */
export function proveAgain(name, dir, proofPath, proveArgs = []) {
  const models = path.join(repo, "models", name);
  must(["prove", dir, "--input", path.join(models, "input.json"), "--proof", proofPath, ...proveArgs]);
  return proofPath;
}

/** Loads the web build of the WASM verifier (wasm-verifier/pkg, from scripts/build-wasm.sh) in Node. */
export async function loadWasm() {
  const pkg = path.join(repo, "wasm-verifier/pkg");
  const wasm = path.join(pkg, "zkinfer_wasm_verifier_bg.wasm");
  assert.ok(fs.existsSync(wasm), `${wasm} is missing: run scripts/build-wasm.sh first`);
  const mod = await import(path.join(pkg, "zkinfer_wasm_verifier.js"));
  mod.initSync({ module: fs.readFileSync(wasm) });
  return mod;
}
