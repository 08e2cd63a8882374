// Runs the WASM verifier off the main thread. Loads the model's verifier artifacts once and keeps the
// verifier (whose verifying key rebuilds the constraint system) for every proof.
import init, { ModelVerifier, version } from "./pkg/zkinfer_wasm_verifier.js";

async function bytes(name) {
  const r = await fetch(name);
  if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const ready = (async () => {
  await init();
  const [vk, settingsBytes, params] = await Promise.all([bytes("vk.bin"), bytes("settings.json"), bytes("verifier_params.bin")]);
  const settings = new TextDecoder().decode(settingsBytes);
  const model = JSON.parse(settings);
  const verifier = new ModelVerifier(vk, settings, params);
  postMessage({ kind: "ready", version: version(), model_name: model.model_name, model_id: verifier.model_id, srs: verifier.srs });
  return verifier;
})();
ready.catch((err) => postMessage({ kind: "failed", error: String(err.message || err) }));

onmessage = async (e) => {
  let verifier;
  try {
    verifier = await ready;
  } catch (err) {
    postMessage({ kind: "result", ok: false, error: String(err.message || err), ms: 0 });
    return;
  }
  const t0 = performance.now();
  try {
    // Ceremony-only unless the user ticked "allow development SRS".
    const result = verifier.verify(e.data.proof, { allowDevSrs: e.data.allowDevSrs === true });
    postMessage({ kind: "result", ok: true, result, ms: performance.now() - t0 });
  } catch (err) {
    postMessage({ kind: "result", ok: false, error: String(err.message || err), ms: performance.now() - t0 });
  }
};
