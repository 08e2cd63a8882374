// EVM-transcript proofs (`zkinfer prove --transcript evm`, the Keccak transcript the generated Solidity
// verifiers read) in the WASM verifier: a bound EVM proof verifies, with the same outputs as a Blake2b proof
// of the same input, and `zkinfer verify` agrees on every verdict; a flipped proof byte, an edited output
// (integer, value and instance together), a relabelled transcript and a wrong binding value are refused.
// Needs scripts/build-wasm.sh and the release build of zkinfer (see cli.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadWasm, proveAgain, proveBundled, run } from "./cli.mjs";

// binding values as `--bind` and the options take them: the little-endian hex of the field element (0x5eed, 0x5eee)
const BIND = "ed5e".padEnd(64, "0");
const OTHER_BIND = "ee5e".padEnd(64, "0");
let tmp, dir, wasm, verifier, evm, blake;

const text = (p) => fs.readFileSync(p, "utf8");
const flat = (v) => (Array.isArray(v) ? v.flatMap(flat) : [v]);
// the first number of a nested list, as [parent, index]
const firstLeaf = (v) => (Array.isArray(v[0]) ? firstLeaf(v[0]) : [v, 0]);

// BN254's scalar field order; proof files hold instances as little-endian hex
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const leHexToBig = (h) => BigInt("0x" + (h.match(/../g) || []).reverse().join(""));
const bigToLeHex = (x) => x.toString(16).padStart(64, "0").match(/../g).reverse().join("");

before(async () => {
  wasm = await loadWasm();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkinfer-evm-transcript-"));
  dir = path.join(tmp, "iris_mlp");
  evm = proveBundled("iris_mlp", dir, path.join(tmp, "evm.proof.json"), ["--transcript", "evm", "--bind", BIND]);
  blake = proveAgain("iris_mlp", dir, path.join(tmp, "blake2b.proof.json"), ["--bind", BIND]);
  const rd = (f) => new Uint8Array(fs.readFileSync(path.join(dir, f)));
  verifier = new wasm.ModelVerifier(rd("vk.bin"), text(path.join(dir, "settings.json")), rd("verifier_params.bin"));
});

after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

function nativeCode(proofPath, bind) {
  const args = ["verify", dir, "--proof", proofPath, "--allow-dev-srs"];
  return run(bind ? [...args, "--bind", bind] : args).code;
}

test("a bound EVM-transcript proof verifies in WASM, with the Blake2b proof's outputs", () => {
  const file = JSON.parse(text(evm));
  assert.equal(file.transcript, "evm");
  assert.equal(JSON.parse(text(blake)).transcript, "blake2b");
  const r = verifier.verify(text(evm), { allowDevSrs: true, bind: BIND });
  assert.equal(r.valid, true, `${r.code}: ${r.reason}`);
  assert.equal(r.bind.replace(/^0x/, ""), BIND);
  const b = verifier.verify(text(blake), { allowDevSrs: true, bind: BIND });
  assert.equal(b.valid, true, `${b.code}: ${b.reason}`);
  assert.deepEqual(r.outputs_q, b.outputs_q);
  assert.deepEqual(r.outputs, b.outputs);
  assert.equal(nativeCode(evm, BIND), 0);
  // the free function too, and the SRS is still judged first
  const rd = (f) => new Uint8Array(fs.readFileSync(path.join(dir, f)));
  const args = [rd("vk.bin"), text(path.join(dir, "settings.json")), rd("verifier_params.bin"), text(evm)];
  assert.equal(wasm.verify(...args, { allowDevSrs: true, bind: BIND }).valid, true);
  assert.equal(wasm.verify(...args, { bind: BIND }).code, "development_params");
});

test("tampered EVM-transcript proofs are refused in WASM and by zkinfer verify", () => {
  const valid = JSON.parse(text(evm));
  const cases = {};
  const flipped = structuredClone(valid);
  const i = Math.floor(flipped.proof.length / 2);
  flipped.proof = flipped.proof.slice(0, i) + (flipped.proof[i] === "0" ? "1" : "0") + flipped.proof.slice(i + 1);
  cases.flipped_byte = [flipped, BIND, "proof_fails"];
  // the first output one grid step up: its integer, its value and its instance together
  const edited = structuredClone(valid);
  const [q, f] = [flat(valid.outputs_q[0]), flat(valid.outputs[0])];
  const j = q.findIndex((x) => x !== q[0]);
  const step = (f[j] - f[0]) / (q[j] - q[0]);
  const [qs, qi] = firstLeaf(edited.outputs_q[0]);
  qs[qi] = q[0] + 1;
  const [fs_, fi] = firstLeaf(edited.outputs[0]);
  fs_[fi] = f[0] + step;
  const nIn = valid.inputs_q.reduce((n, t) => n + flat(t).length, 0);
  edited.instances[nIn] = bigToLeHex((leHexToBig(valid.instances[nIn]) + 1n) % R);
  cases.edited_output = [edited, BIND, "proof_fails"];
  // the same bytes read with the other transcript
  const relabelled = structuredClone(valid);
  relabelled.transcript = "blake2b";
  cases.relabelled_transcript = [relabelled, BIND, "proof_fails"];
  // a valid proof checked for another binding value (another job or provider)
  cases.other_bind = [valid, OTHER_BIND, "binding_mismatch"];
  for (const [name, [obj, bind, code]] of Object.entries(cases)) {
    const p = path.join(tmp, `${name}.json`);
    fs.writeFileSync(p, JSON.stringify(obj));
    const r = verifier.verify(JSON.stringify(obj), { allowDevSrs: true, bind });
    console.log(`# ${name}: ${r.code}: ${r.reason}`);
    assert.equal(r.valid, false, `${name} accepted`);
    assert.ok(r.reason.length > 0, name);
    if (code) assert.equal(r.code, code, `${name}: ${r.reason}`);
    assert.equal(nativeCode(p, bind), 1, `zkinfer verify must refuse ${name} too`);
  }
});
