// Hostile k in the WASM build (issue 27): the committed iris fixture (verifier/tests/fixtures/iris, k = 12)
// with k set to 0..40 in settings.json, the vk's halo2 header (and its digest of the settings) and the
// params. Every load returns a verifier or throws an Error with a message (a Rust panic would surface as
// `RuntimeError: unreachable`); nothing above BROWSER_MAX_K (21) is loaded, and the ks in between are
// refused or judged invalid. Oversized files and a key point with the infinity flag set are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { loadWasm, repo } from "./cli.mjs";

const BROWSER_MAX_K = 21;
const fixture = (name) => new Uint8Array(fs.readFileSync(path.join(repo, "verifier/tests/fixtures/iris", name)));
const text = (b) => new TextDecoder().decode(b);

function withK(k) {
  const settings = JSON.parse(text(fixture("settings.json")));
  settings.k = k;
  const s = new TextEncoder().encode(JSON.stringify(settings, null, 2));
  const vk = fixture("vk.bin");
  vk.set(crypto.createHash("sha256").update(s).digest(), 12);
  new DataView(vk.buffer).setUint32(45, k, true);
  const params = fixture("verifier_params.bin");
  new DataView(params.buffer).setUint32(12, k, true);
  return { s, vk, params };
}

function typedError(call, label) {
  try {
    return { ok: call() };
  } catch (e) {
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `${label}: a panic in the WASM build: ${e}`);
    assert.ok(e instanceof Error && e.message.length > 0, `${label}: ${e}`);
    return { error: e.message };
  }
}

test("k from 0 to 40: an Error or a verdict, never a panic, nothing over the browser's ceiling loaded", async () => {
  const wasm = await loadWasm();
  const proof = text(fixture("proof.json"));
  const fixtureK = JSON.parse(text(fixture("settings.json"))).k;
  for (let k = 0; k <= 40; k++) {
    // the loadable ks above 15 take hundreds of MiB each; 13..15 stand for them
    if (k > 15 && k <= BROWSER_MAX_K) continue;
    const { s, vk, params } = withK(k);
    const r = typedError(() => new wasm.ModelVerifier(vk, text(s), params), `k = ${k}`);
    if (k > BROWSER_MAX_K && k <= 27) assert.match(r.error ?? "", /above the largest k this verifier loads \(21\)/, `k = ${k}`);
    if (r.ok) {
      assert.ok(k >= 12 && k <= BROWSER_MAX_K, `k = ${k} loaded`);
      const v = typedError(() => r.ok.verify(proof, { allowDevSrs: true }), `k = ${k} verify`);
      // the fixture's own k is the fixture unchanged: its proof is valid there and nowhere else
      if (v.ok) assert.equal(v.ok.valid, k === fixtureK, `k = ${k}`);
    }
  }
});

test("oversized files and non-canonical points are refused with an Error", async () => {
  const wasm = await loadWasm();
  const s = fixture("settings.json");
  const vk = fixture("vk.bin");
  const params = fixture("verifier_params.bin");
  const bigSettings = text(s) + " ".repeat(1 << 20);
  const r = typedError(() => new wasm.ModelVerifier(vk, bigSettings, params), "settings");
  assert.match(r.error ?? "", /over the limit/);
  const bigParams = new Uint8Array(params.length + 1);
  bigParams.set(params);
  assert.match(typedError(() => new wasm.ModelVerifier(vk, text(s), bigParams), "params").error ?? "", /over the limit/);
  const flagged = Uint8Array.from(vk);
  flagged[44 + 10 + 31] |= 0x80;
  assert.match(typedError(() => new wasm.ModelVerifier(flagged, text(s), params), "vk").error ?? "", /canonical/);
  const v = new wasm.ModelVerifier(vk, text(s), params);
  const bigProof = text(fixture("proof.json")) + " ".repeat(64 << 20);
  assert.match(typedError(() => v.verify(bigProof, { allowDevSrs: true }), "proof").error ?? "", /over the limit/);
});
