// Verification time of the default model's proof in headless Chromium (WASM, in the page's worker) and
// natively (`zkinfer verify`), on the same proof: a benchmark, not a test. The CLI's setup makes a
// development SRS, so the page's "allow development SRS" box is ticked. Usage:
//   scripts/build-wasm.sh && cargo build --release && node wasm-verifier/test/bench.mjs [repeats]
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

import { cliHasAllowDevSrs, must, repo } from "./cli.mjs";

if (process.env.NODE_TEST_CONTEXT) {
  // `node --test` in this folder picks up every file; the benchmark is not a test
  console.log("# bench.mjs is a benchmark, not a test: run it with `node bench.mjs`");
  process.exit(0);
}

const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const repeats = Number(process.argv[2] || 20);
const sh = must;
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkinfer-bench-"));
const m = path.join(repo, "models/digits_mlp");
const dir = path.join(tmp, "digits");
sh(["compile", path.join(m, "model.onnx"), "--out", dir, "--sample", path.join(m, "calibration.json")]);
sh(["setup", dir]);
const proof = path.join(tmp, "proof.json");
sh(["prove", dir, "--input", path.join(m, "input.json"), "--proof", proof]);
const web = path.join(tmp, "web");
sh(["export-verifier", dir, "--out", web, "--wasm-dir", path.join(repo, "wasm-verifier/pkg")]);
for (const f of ["index.html", "app.js", "worker.js"]) fs.copyFileSync(path.join(repo, "wasm-verifier/www", f), path.join(web, f));
const devFlag = cliHasAllowDevSrs() ? ["--allow-dev-srs"] : [];

const native = [];
for (let i = 0; i < repeats; i++) native.push(Number(/valid \(([0-9.]+) ms\)/.exec(sh(["verify", dir, "--proof", proof, ...devFlag]))[1]));

const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
const server = http.createServer((req, res) => {
  const f = path.join(web, new URL(req.url, "http://x").pathname.slice(1) || "index.html");
  if (!fs.existsSync(f)) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": types[path.extname(f)] || "application/octet-stream" });
  fs.createReadStream(f).pipe(res);
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const { chromium } = await import("playwright-core");
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
await page.waitForSelector("body[data-ready=true]");
await page.check("#allow-dev-srs");
await page.setInputFiles("#file", proof);
const browserMs = [];
for (let i = 0; i < repeats + 1; i++) {
  await page.click("#verify");
  await page.waitForSelector("body[data-state=done]");
  if (await page.getAttribute("#verdict", "class") !== "valid") throw new Error(await page.textContent("#verdict"));
  const ms = Number(/verified in ([0-9.]+) ms/.exec(await page.textContent("#timing"))[1]);
  if (i > 0) browserMs.push(ms); // the first call also compiles the wasm's hot paths
  await page.evaluate(() => { document.body.dataset.state = "chosen"; });
}
await browser.close();
server.close();
const wasmBytes = fs.readFileSync(path.join(web, "pkg/zkinfer_wasm_verifier_bg.wasm"));
const wasm = wasmBytes.length;
const wasmGz = zlib.gzipSync(wasmBytes, { level: 9 }).length;
console.log(`digits_mlp proof, ${repeats} runs each, same machine, same proof:`);
console.log(`  native verify (zkinfer verify, in-process time): median ${median(native).toFixed(2)} ms`);
console.log(`  Chromium (WASM in a worker):                     median ${median(browserMs).toFixed(2)} ms`);
console.log(`  ratio browser/native: ${(median(browserMs) / median(native)).toFixed(2)}; wasm ${wasm} bytes raw, ${wasmGz} gzipped`);
fs.rmSync(tmp, { recursive: true, force: true });
