// The verification page in a real headless Chromium: a real proof made by the CLI must show VALID with the
// right outputs; tampered proofs (an edited output, a flipped proof byte, a proof of another model, a file
// that is not a proof) must show INVALID with a reason; and every verdict must equal the native verifier's.
// Screenshots of each verdict go to wasm-verifier/test/out/. Also: the .wasm the page downloads stays under
// 1 MiB gzipped. Run by scripts/test.sh after scripts/build-wasm.sh and the release build of zkinfer.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const zkinfer = process.env.ZKINFER_BIN || path.join(repo, "target/release/zkinfer");
const chromiumPath = process.env.CHROMIUM || ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
const shots = path.join(here, "out");
const wasmPath = path.join(repo, "wasm-verifier/pkg/zkinfer_wasm_verifier_bg.wasm");
// The download budget of the page: scripts/build-wasm.sh enforces it too (vendor/halo2-axiom/VENDORED.md).
const MAX_GZIPPED_WASM = 1048576;
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

function run(args) {
  const r = spawnSync(zkinfer, args, { encoding: "utf8" });
  return { code: r.status, out: (r.stdout || "") + (r.stderr || "") };
}
function must(args) {
  const r = run(args);
  assert.equal(r.code, 0, `zkinfer ${args.join(" ")}:\n${r.out}`);
  return r.out;
}

let tmp, web, server, url, browser;
const cases = {};

describe("the verification page in headless Chromium", () => {
  before(async () => {
    if (!chromiumPath) return;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkinfer-browser-"));
    const models = path.join(repo, "models");
    for (const name of ["digits_mlp", "iris_mlp"]) {
      const dir = path.join(tmp, name);
      must(["compile", path.join(models, name, "model.onnx"), "--out", dir, "--sample", path.join(models, name, "calibration.json")]);
      must(["setup", dir]);
      must(["prove", dir, "--input", path.join(models, name, "input.json"), "--proof", path.join(tmp, `${name}.proof.json`)]);
    }
    web = path.join(tmp, "web");
    must(["export-verifier", path.join(tmp, "digits_mlp"), "--out", web]);

    const valid = JSON.parse(fs.readFileSync(path.join(tmp, "digits_mlp.proof.json"), "utf8"));
    const write = (name, obj) => {
      const p = path.join(tmp, `${name}.json`);
      fs.writeFileSync(p, typeof obj === "string" ? obj : JSON.stringify(obj));
      cases[name] = p;
    };
    write("valid", valid);
    const edited = structuredClone(valid);
    edited.outputs[0][0][0] += 0.125;
    write("edited_output", edited);
    const flipped = structuredClone(valid);
    const i = Math.floor(flipped.proof.length / 2);
    flipped.proof = flipped.proof.slice(0, i) + (flipped.proof[i] === "0" ? "1" : "0") + flipped.proof.slice(i + 1);
    write("flipped_byte", flipped);
    write("other_model", JSON.parse(fs.readFileSync(path.join(tmp, "iris_mlp.proof.json"), "utf8")));
    write("not_a_proof", '{"hello": "world"}');

    const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".ts": "text/plain" };
    server = http.createServer((req, res) => {
      const rel = decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/^\/+/, "") || "index.html";
      const file = path.join(web, rel);
      if (!file.startsWith(web) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
        res.writeHead(404).end("not found");
        return;
      }
      res.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream" });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
    url = `http://127.0.0.1:${server.address().port}/`;
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: chromiumPath, args: FLAGS, headless: true });
    fs.mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) server.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function verifyInPage(page, name) {
    await page.setInputFiles("#file", cases[name]);
    await page.click("#verify");
    await page.waitForSelector("body[data-state=done]");
    const cls = await page.getAttribute("#verdict", "class");
    const text = await page.textContent("#verdict");
    const timing = await page.textContent("#timing");
    const ms = Number(/verified in ([0-9.]+) ms/.exec(timing)?.[1]);
    return { cls, text, ms, page };
  }

  test("verdicts in Chromium equal the native verifier's", { skip: chromiumPath ? false : "no Chromium found (install Debian's chromium: /usr/bin/chromium)" }, async () => {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector("body[data-ready=true]", { timeout: 30000 });
    const nativeCode = { valid: 0 };
    for (const name of Object.keys(cases)) {
      const native = run(["verify", path.join(tmp, "digits_mlp"), "--proof", cases[name]]);
      nativeCode[name] = native.code;
      const r = await verifyInPage(page, name);
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
      const expected = native.code === 0 ? "valid" : native.code === 1 ? "invalid" : "error";
      assert.equal(r.cls, expected, `${name}: browser says ${r.cls} (${r.text}), native exit ${native.code}: ${native.out}`);
      if (name === "valid") {
        const nativeOutputs = JSON.parse(/outputs: (.*)/.exec(native.out)[1])[0];
        const shown = await page.$$eval("#output-table td", (tds) => tds.map((td) => Number(td.textContent)));
        assert.deepEqual(shown, nativeOutputs, "the page shows the verified outputs");
        const argmax = nativeOutputs.indexOf(Math.max(...nativeOutputs));
        assert.equal(Number(await page.textContent("#predicted")), argmax);
        const label = JSON.parse(fs.readFileSync(path.join(repo, "models/digits_mlp/meta.json"), "utf8")).label;
        assert.equal(argmax, label, "the bundled input is classified correctly");
      } else {
        const reason = (await page.textContent("#reason")).trim();
        assert.ok(reason.length > 0, `${name}: a reason is shown`);
      }
      console.log(`# ${name}: browser ${r.cls} (${r.ms} ms), native exit ${native.code}; reason: ${(await page.textContent("#reason")).trim() || "-"}`);
    }
    assert.deepEqual(errors, [], "no uncaught errors on the page");
    assert.equal(nativeCode.edited_output, 1);
    assert.equal(nativeCode.flipped_byte, 1);
    assert.equal(nativeCode.other_model, 1);
    await page.close();
  });
});

test("the WASM verifier is under 1 MiB gzipped", () => {
  assert.ok(fs.existsSync(wasmPath), `${wasmPath} is missing: run scripts/build-wasm.sh first`);
  const raw = fs.readFileSync(wasmPath);
  const gz = zlib.gzipSync(raw, { level: 9 }).length;
  console.log(`# ${path.basename(wasmPath)}: ${raw.length} bytes raw, ${gz} bytes gzipped`);
  assert.ok(gz < MAX_GZIPPED_WASM, `the gzipped .wasm is ${gz} bytes, over its budget of ${MAX_GZIPPED_WASM}`);
});
