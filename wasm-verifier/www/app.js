// The verification page: picks a proof file, hands it to the worker (which runs the WASM verifier so the
// page stays responsive), and shows the verdict, the verified outputs and the time taken.
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
let proofText = null;
let pending = null;

worker.onmessage = (e) => {
  const m = e.data;
  if (m.kind === "ready") {
    $("version").textContent = m.version;
    $("model-name").textContent = m.model_name;
    $("model-id").textContent = m.model_id.slice(0, 16);
    document.body.dataset.ready = "true";
    return;
  }
  if (m.kind === "result" && pending) {
    pending(m);
    pending = null;
  }
};

function setProof(name, text) {
  proofText = text;
  $("chosen").textContent = `${name} (${text.length.toLocaleString()} bytes)`;
  $("verify").disabled = false;
  for (const id of ["verdict-text", "reason", "timing", "prediction", "outputs"]) $(id).textContent = "";
  $("verdict").className = "";
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
  } else {
    box.className = "invalid";
    $("verdict-text").textContent = "INVALID";
    $("reason").textContent = m.result.reason;
  }
  $("timing").textContent = `verified in ${m.ms.toFixed(1)} ms (WebAssembly, in a worker)`;
  if (m.ok && m.result.valid) {
    const out = m.result.outputs[0];
    const top = out.length > 1 ? argmax(out) : -1;
    if (top >= 0) $("prediction").innerHTML = `Predicted class: <strong id="predicted">${top}</strong>`;
    const rows = out.map((v, i) => `<tr class="${i === top ? "top" : ""}"><th>${i}</th><td>${v}</td></tr>`).join("");
    $("outputs").innerHTML = `<table id="output-table"><tr><th>output</th><th>value</th></tr>${rows}</table>`;
  }
  document.body.dataset.state = "done";
}

$("verify").addEventListener("click", () => {
  if (!proofText) return;
  $("verify").disabled = true;
  document.body.dataset.state = "verifying";
  pending = (m) => { render(m); $("verify").disabled = false; };
  worker.postMessage({ kind: "verify", proof: proofText });
});
