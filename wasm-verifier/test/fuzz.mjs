// Hostile input never panics in the WASM build (shared by the fuzz-*.test.mjs files, one per artifact,
// which `node --test` runs as separate processes, in parallel with --test-concurrency). Loads the real .wasm (the web build from
// scripts/build-wasm.sh, compiled with panic=abort, so a Rust panic surfaces as
// `RuntimeError: unreachable`) and feeds it FUZZ_CASES (default 10,000) mutated or random variants of
// each artifact -- settings.json, vk.bin, verifier_params.bin and proof.json -- from a seeded PRNG
// (FUZZ_SEED). Every call must return a verdict or throw an Error with a message; a mutated file may only
// verify if it proves the same outputs. Needs the `zkinfer` CLI (see cli.mjs) to make the valid files.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { loadWasm, proveBundled } from "./cli.mjs";

const CASES = Number(process.env.FUZZ_CASES || 10000);
const SEED = Number(process.env.FUZZ_SEED || 0x5eed2026) >>> 0;

// mulberry32: small, seeded, reproducible
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)] };
}

const HOSTILE_INTS = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
const HOSTILE_JSON = [null, true, 0, -1, 1.5, -1e308, 1e308, 2 ** 53 + 1, -(2 ** 63), 2 ** 64, "", "0x", "zz",
  "0x" + "f".repeat(64), "0x" + "0".repeat(64), "a".repeat(5000), [], {}, [[[]]], [1e9, -1e9], { a: 1 },
  Array.from({ length: 300 }, () => 0)];

/** One mutation of `base` (bytes); `others` are other valid files to splice from. Returns [bytes, label]. */
function mutate(r, base, others, isJson) {
  const b = Uint8Array.from(base);
  const kind = r.int(isJson ? 9 : 8);
  switch (kind) {
    case 0: { // bit flips
      const n = 1 + r.int(4);
      for (let i = 0; i < n && b.length; i++) b[r.int(b.length)] ^= 1 << r.int(8);
      return [b, `flip${n}`];
    }
    case 1: // truncation
      return [b.slice(0, r.int(b.length + 1)), "truncate"];
    case 2: { // splice: a chunk of this or another valid file overwrites or is inserted somewhere
      const src = r.pick([base, ...others]);
      const from = r.int(src.length + 1);
      const chunk = src.slice(from, from + 1 + r.int(256));
      const at = r.int(b.length + 1);
      if (r.int(2)) return [Uint8Array.from([...b.slice(0, at), ...chunk, ...b.slice(at)]), "splice-insert"];
      const out = Uint8Array.from(b);
      out.set(chunk.slice(0, Math.max(0, out.length - at)), at);
      return [out, "splice-overwrite"];
    }
    case 3: { // random bytes
      const out = new Uint8Array(r.int(2 * base.length + 16));
      for (let i = 0; i < out.length; i++) out[i] = r.int(256);
      return [out, "random"];
    }
    case 4: { // a run of 0x00, 0xff or noise
      const at = r.int(b.length + 1);
      const len = 1 + r.int(64);
      const fill = r.int(3);
      for (let i = at; i < Math.min(b.length, at + len); i++) b[i] = fill === 0 ? 0 : fill === 1 ? 0xff : r.int(256);
      return [b, "run"];
    }
    case 5: { // delete or duplicate a chunk
      const at = r.int(b.length + 1);
      const len = 1 + r.int(128);
      if (r.int(2)) return [Uint8Array.from([...b.slice(0, at), ...b.slice(at + len)]), "delete"];
      return [Uint8Array.from([...b.slice(0, at + len), ...b.slice(at, at + len), ...b.slice(at + len)]), "duplicate"];
    }
    case 6: { // a hostile little-endian u32 (counts, lengths, tags)
      if (b.length < 4) return [b, "u32-short"];
      const at = r.int(b.length - 3);
      new DataView(b.buffer).setUint32(at, r.pick(HOSTILE_INTS), true);
      return [b, "u32"];
    }
    case 7: { // a hostile byte at a low offset (headers, versions, k)
      if (b.length) b[r.int(Math.min(b.length, 64))] = r.pick(HOSTILE_INTS) & 0xff;
      return [b, "header-byte"];
    }
    default: { // JSON-aware: replace a random value (deep or shallow) by a hostile one
      let v;
      try { v = JSON.parse(new TextDecoder().decode(base)); } catch { return [b, "json-unparsable"]; }
      const holder = { root: v };
      let parent = holder, key = "root";
      for (let depth = r.int(6); depth > 0; depth--) {
        const cur = parent[key];
        if (cur === null || typeof cur !== "object") break;
        const keys = Object.keys(cur);
        if (!keys.length) break;
        parent = cur;
        key = r.pick(keys);
      }
      if (r.int(5) === 0 && Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (r.int(5) === 0 && !Array.isArray(parent)) delete parent[key];
      else parent[key] = structuredClone(r.pick(HOSTILE_JSON));
      return [new TextEncoder().encode(JSON.stringify(holder.root)), "json-value"];
    }
  }
}


const text = (bytes) => new TextDecoder().decode(bytes);
const ONE = "0x" + "0".repeat(63) + "1";

// Most cases expect a binding value the proof does not carry: judge then reads and cross-checks every
// field but stops before the pairing (fast); every 16th runs the full check, every 7th the default
// ceremony-only policy.
function options(i) {
  if (i % 7 === 3) return undefined;
  if (i % 16 === 5) return { allowDevSrs: true };
  return { allowDevSrs: true, bind: ONE };
}

function expectVerdictOrError(what, i, label, call, original) {
  let result;
  try {
    result = call();
  } catch (e) {
    const desc = `${what} case ${i} (${label}, seed ${SEED}): threw ${e && e.constructor && e.constructor.name}: ${e && e.message}`;
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `${desc} -- a wasm trap (a Rust panic)`);
    assert.ok(e instanceof Error, desc);
    assert.ok(typeof e.message === "string" && e.message.length > 0, desc);
    return "error";
  }
  assert.equal(typeof result.valid, "boolean", `${what} case ${i}: no verdict`);
  if (result.valid) {
    assert.deepEqual(result.outputs_q, original.outputs_q, `${what} case ${i} (${label}): a mutated file verified other outputs`);
    return "valid";
  }
  assert.ok(typeof result.code === "string" && result.reason.length > 0, `${what} case ${i}: invalid without code/reason`);
  return result.code;
}

const KINDS = ["settings", "vk", "params", "proof"];

/** Runs cases first, first + step, ... below CASES of one artifact; returns the tally of outcomes. Each case
 * has its own PRNG stream (SEED, artifact, index), so a failure names a case that replays alone. */
function runCases(wasm, files, what, first, step) {
  const { settings, vk, params, proof } = files;
  const verifier = new wasm.ModelVerifier(vk, text(settings), params);
  const original = verifier.verify(text(proof), { allowDevSrs: true });
  assert.equal(original.valid, true, `the unmutated proof verifies: ${original.reason}`);
  assert.equal(verifier.verify(text(proof)).code, "development_params");
  const others = Object.values(files);
  const tally = {};
  for (let i = first; i < CASES; i += step) {
    const r = prng(SEED ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(KINDS.indexOf(what) + 1, 0x85ebca6b));
    const [bytes, label] = mutate(r, files[what], others, what === "settings" || what === "proof");
    const opts = options(i);
    let call;
    if (what === "proof") {
      call = () => verifier.verify(text(bytes), opts);
    } else {
      const a = { settings, vk, params, [what]: bytes };
      if (what === "settings" && i % 4 !== 0) {
        // as an attacker would: a vk that names the edited settings (its SHA-256 at bytes 12..44), so
        // the hostile settings reach the circuit's configuration and the instance layout
        a.vk = Uint8Array.from(vk);
        a.vk.set(crypto.createHash("sha256").update(bytes).digest(), 12);
      }
      call = () => new wasm.ModelVerifier(a.vk, text(a.settings), a.params).verify(text(proof), opts);
    }
    const outcome = expectVerdictOrError(what, i, label, call, original);
    tally[outcome] = (tally[outcome] || 0) + 1;
  }
  return tally;
}

// A worker thread runs its share of the cases against its own instance of the .wasm.
if (!isMainThread && workerData && workerData.fuzz) {
  const { what, files, first, step } = workerData.fuzz;
  try {
    const wasm = await loadWasm();
    parentPort.postMessage({ tally: runCases(wasm, files, what, first, step) });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) });
  }
}

function inWorker(what, files, first, step) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { fuzz: { what, files, first, step } } });
    w.once("message", (m) => (m.error ? reject(new Error(m.error)) : resolve(m.tally)));
    w.once("error", reject);
  });
}

/** Registers the fuzz test of one artifact: "settings", "vk", "params" or "proof". The cases are split over
 * FUZZ_THREADS worker threads (default: a quarter of the cores, as `node --test --test-concurrency=4` runs the
 * four artifacts' files at once). */
export function fuzzArtifact(what) {
  let tmp, wasm, files;
  before(async () => {
    wasm = await loadWasm();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), `zkinfer-fuzz-${what}-`));
    const dir = path.join(tmp, "iris_mlp");
    const proof = proveBundled("iris_mlp", dir, path.join(tmp, "proof.json"));
    const rd = (p) => new Uint8Array(fs.readFileSync(p));
    files = {
      settings: rd(path.join(dir, "settings.json")),
      vk: rd(path.join(dir, "vk.bin")),
      params: rd(path.join(dir, "verifier_params.bin")),
      proof: rd(proof),
    };
  });
  after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

  test(`${CASES} hostile ${what} files: a verdict or an Error, never a trap`, async () => {
    const threads = Math.max(1, Number(process.env.FUZZ_THREADS || Math.floor(os.availableParallelism() / 4)));
    const t0 = performance.now();
    const tallies = threads === 1
      ? [runCases(wasm, files, what, 0, 1)]
      : await Promise.all(Array.from({ length: threads }, (_, t) => inWorker(what, files, t, threads)));
    const tally = {};
    for (const t of tallies) for (const [k, n] of Object.entries(t)) tally[k] = (tally[k] || 0) + n;
    assert.equal(Object.values(tally).reduce((a, b) => a + b, 0), CASES);
    const secs = (performance.now() - t0) / 1000;
    console.log(`# ${what}: ${CASES} cases in ${secs.toFixed(1)} s (${threads} thread(s)): ${JSON.stringify(tally)}`);
  });
  if (what === "proof") {
    test("the free function and malformed options throw Errors too", () => {
      const ok = wasm.verify(files.vk, text(files.settings), files.params, text(files.proof), { allowDevSrs: true });
      assert.equal(ok.valid, true);
      assert.equal(ok.srs.kind, "development");
      assert.equal(ok.srs.fingerprint.length, 64);
      const args = [files.vk, text(files.settings), files.params, text(files.proof)];
      assert.equal(wasm.verify(...args).code, "development_params");
      assert.equal(wasm.verify(...args, null).code, "development_params");
      for (const bad of [{ allowDevSrs: "yes" }, { bind: "nope", allowDevSrs: true }, { allowDevSRS: true }, 42, "x"]) {
        assert.throws(() => wasm.verify(...args, bad), (e) => e instanceof Error && !(e instanceof WebAssembly.RuntimeError) && e.message.length > 0, JSON.stringify(bad));
      }
    });
  }
}
