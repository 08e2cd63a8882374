// The verification page: picks a proof file, hands it to the worker (which runs the WASM verifier so the
// page stays responsive), and shows the verdict, the SRS it rests on, the verified outputs and the time
// taken. Development params are refused unless the "allow development SRS" box is ticked.
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
let proofText = null;
let pending = null;

const DEV_SRS = "development SRS — not for production, made by whoever ran setup";

function srsText(srs) {
  if (!srs) return "";
  if (srs.kind === "ceremony") return `ceremony ${srs.name}`;
  return `${DEV_SRS} (fingerprint ${srs.fingerprint.slice(0, 16)})`;
}

worker.onmessage = (e) => {
  const m = e.data;
  if (m.kind === "ready") {
    $("version").textContent = m.version;
    $("model-name").textContent = m.model_name;
    $("model-id").textContent = m.model_id.slice(0, 16);
    $("params-srs").textContent = srsText(m.srs);
    $("params-srs").className = m.srs.kind;
    if (m.srs.kind === "ceremony") $("params-srs").title = m.srs.source;
    document.body.dataset.ready = "true";
    return;
  }
  if (m.kind === "failed") {
    $("version").textContent = `failed to load: ${m.error}`;
    return;
  }
  if (m.kind === "result" && pending) {
    pending(m);
    pending = null;
  }
};

function clear() {
  for (const id of ["verdict-text", "reason", "code", "srs", "timing", "prediction", "outputs"]) $(id).textContent = "";
  $("verdict").className = "";
  $("srs").className = "";
}

function setProof(name, text) {
  proofText = text;
  $("chosen").textContent = `${name} (${text.length.toLocaleString()} bytes)`;
  $("verify").disabled = false;
  clear();
  document.body.dataset.state = "chosen";
}

$("file").addEventListener("change", async (e) => {
  const f = e.target.files[0];
  if (f) setProof(f.name, await f.text());
});
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", async (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const f = e.dataTransfer.files[0];
  if (f) setProof(f.name, await f.text());
});

function argmax(v) {
  let best = 0;
  v.forEach((x, i) => { if (x > v[best]) best = i; });
  return best;
}

function render(m) {
  const box = $("verdict");
  if (!m.ok) {
    box.className = "error";
    $("verdict-text").textContent = "INVALID — the file could not be checked";
    $("reason").textContent = m.error;
  } else if (m.result.valid) {
    box.className = "valid";
    $("verdict-text").textContent = "VALID — this model produced these outputs";
    const srs = m.result.srs;
    $("srs").textContent = `Rests on: ${srsText(srs)}`;
    $("srs").className = srs.kind;
    $("srs").dataset.kind = srs.kind;
    if (srs.kind === "ceremony") $("srs").title = srs.source;
  } else {
    box.className = "invalid";
    $("verdict-text").textContent = "INVALID";
    $("reason").textContent = m.result.reason;
    $("code").textContent = m.result.code;
  }
  $("timing").textContent = `verified in ${m.ms.toFixed(1)} ms (WebAssembly, in a worker)`;
  if (m.ok && m.result.valid) {
    const out = m.result.outputs[0];
    const q = m.result.outputs_q[0];
    const top = out.length > 1 ? argmax(out) : -1;
    if (top >= 0) $("prediction").innerHTML = `Predicted class: <strong id="predicted">${top}</strong>`;
    const rows = out.map((v, i) => `<tr class="${i === top ? "top" : ""}"><th>${i}</th><td>${v}</td><td class="q">${q[i]}</td></tr>`).join("");
    $("outputs").innerHTML = `<table id="output-table"><tr><th>output</th><th>value</th><th>proved integer</th></tr>${rows}</table>`;
  }
  document.body.dataset.state = "done";
}

$("verify").addEventListener("click", () => {
  if (!proofText) return;
  $("verify").disabled = true;
  clear();
  document.body.dataset.state = "verifying";
  pending = (m) => { render(m); $("verify").disabled = false; };
  worker.postMessage({ kind: "verify", proof: proofText, allowDevSrs: $("allow-dev-srs").checked });
});
