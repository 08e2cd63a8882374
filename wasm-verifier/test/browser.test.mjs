// The verification page in a real headless Chromium. The CLI's `setup` makes development params, so with
// the page's defaults (ceremony SRS only) its proofs are refused with code `development_params`; with the
// "allow development SRS" box ticked a real proof shows VALID with the right outputs and says that it rests
// on a development SRS. Tampered proofs (an edited output float, an edited output integer, a flipped proof
// byte, a proof of another model, a file that is not a proof) show INVALID with a reason and its code, and
// every verdict is compared with `zkinfer verify`'s. Screenshots of each verdict go to
// wasm-verifier/test/out/. Also: the .wasm the page downloads stays under 1 MiB gzipped. Needs
// scripts/build-wasm.sh and the release build of zkinfer (ZKINFER_BIN, else target/release/zkinfer under
// CARGO_TARGET_DIR or the repository). The page files are copied from wasm-verifier/www over the export,
// so this tree's page is tested even when the zkinfer binary embeds an older copy.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { cliHasAllowDevSrs, must, proveBundled, repo, run } from "./cli.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const chromiumPath = process.env.CHROMIUM || ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
const shots = path.join(here, "out");
const pkgDir = path.join(repo, "wasm-verifier/pkg");
const wasmPath = path.join(pkgDir, "zkinfer_wasm_verifier_bg.wasm");
// The download budget of the page: scripts/build-wasm.sh enforces it too (vendor/halo2-axiom/VENDORED.md).
const MAX_GZIPPED_WASM = 1048576;
const DEV_SRS = "development SRS — not for production, made by whoever ran setup";
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

let tmp, web, server, url, browser, cliFlag;
const cases = {};
// the code the page must show for each tampered file (with development params allowed)
const CODES = { edited_output: "edited_value", edited_integer: "instance_mismatch", flipped_byte: "proof_fails", other_model: "model_mismatch" };

describe("the verification page in headless Chromium", () => {
  before(async () => {
    if (!chromiumPath) return;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkinfer-browser-"));
    for (const name of ["digits_mlp", "iris_mlp"]) proveBundled(name, path.join(tmp, name), path.join(tmp, `${name}.proof.json`));
    web = path.join(tmp, "web");
    must(["export-verifier", path.join(tmp, "digits_mlp"), "--out", web, "--wasm-dir", pkgDir]);
    for (const f of ["index.html", "app.js", "worker.js"]) fs.copyFileSync(path.join(repo, "wasm-verifier/www", f), path.join(web, f));
    cliFlag = cliHasAllowDevSrs();

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
    // the integer and its float edited together: only the instances (and the proof) disagree
    const editedInt = structuredClone(valid);
    const [q, f] = [valid.outputs_q[0][0], valid.outputs[0][0]];
    const j = q.findIndex((x) => x !== q[0]);
    const step = (f[j] - f[0]) / (q[j] - q[0]);
    editedInt.outputs_q[0][0][0] = q[0] + 1;
    editedInt.outputs[0][0][0] = f[0] + step;
    write("edited_integer", editedInt);
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

  async function openPage() {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector("body[data-ready=true]", { timeout: 30000 });
    assert.equal(await page.isChecked("#allow-dev-srs"), false, "development SRS is refused by default");
    assert.ok((await page.textContent("#params-srs")).includes(DEV_SRS), "the page says the params are a development SRS");
    return { page, errors };
  }

  async function verifyInPage(page, name) {
    await page.setInputFiles("#file", cases[name]);
    await page.click("#verify");
    await page.waitForSelector("body[data-state=done]");
    const cls = await page.getAttribute("#verdict", "class");
    const text = await page.textContent("#verdict");
    const timing = await page.textContent("#timing");
    const ms = Number(/verified in ([0-9.]+) ms/.exec(timing)?.[1]);
    const reason = (await page.textContent("#reason")).trim();
    const code = (await page.textContent("#code")).trim();
    const srs = (await page.textContent("#srs")).trim();
    return { cls, text, ms, reason, code, srs };
  }

  const classOf = (exit) => (exit === 0 ? "valid" : exit === 1 ? "invalid" : "error");
  const skip = chromiumPath ? false : "no Chromium found (install Debian's chromium: /usr/bin/chromium)";

  test("by default the page refuses the CLI's development-SRS proofs", { skip }, async () => {
    const { page, errors } = await openPage();
    for (const name of Object.keys(cases)) {
      const native = run(["verify", path.join(tmp, "digits_mlp"), "--proof", cases[name]]);
      const r = await verifyInPage(page, name);
      await page.screenshot({ path: path.join(shots, `default-${name}.png`), fullPage: true });
      console.log(`# default ${name}: browser ${r.cls} [${r.code || "-"}] (${r.ms} ms), native exit ${native.code}; reason: ${r.reason || "-"}`);
      if (name === "not_a_proof") {
        assert.equal(r.cls, "error", `${name}: ${r.text}`);
      } else {
        assert.equal(r.cls, "invalid", `${name}: ${r.text}`);
        assert.equal(r.code, "development_params", `${name}: the SRS is judged first`);
        assert.match(r.reason, /not from a pinned public ceremony/);
      }
      if (cliFlag || name !== "valid") {
        // A CLI with --allow-dev-srs refuses development params by default too. The older CLI accepts
        // them, so only the tampered files (which it rejects for their own reasons) are compared.
        assert.equal(r.cls, classOf(native.code), `${name}: browser ${r.cls}, native exit ${native.code}: ${native.out}`);
      }
    }
    assert.deepEqual(errors, [], "no uncaught errors on the page");
    await page.close();
  });

  test("with development SRS allowed, verdicts in Chromium equal the native verifier's", { skip }, async () => {
    const { page, errors } = await openPage();
    await page.check("#allow-dev-srs");
    const nativeCode = {};
    for (const name of Object.keys(cases)) {
      const args = ["verify", path.join(tmp, "digits_mlp"), "--proof", cases[name]];
      const native = run(cliFlag ? [...args, "--allow-dev-srs"] : args);
      nativeCode[name] = native.code;
      const r = await verifyInPage(page, name);
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
      console.log(`# allowDevSrs ${name}: browser ${r.cls} [${r.code || "-"}] (${r.ms} ms), native exit ${native.code}; reason: ${r.reason || "-"}`);
      assert.equal(r.cls, classOf(native.code), `${name}: browser says ${r.cls} (${r.text}), native exit ${native.code}: ${native.out}`);
      if (name === "valid") {
        assert.ok(r.srs.includes(DEV_SRS), `the page says which SRS the verdict rests on: ${r.srs}`);
        const nativeOutputs = JSON.parse(/outputs: (.*)/.exec(native.out)[1])[0];
        const shown = await page.$$eval("#output-table td:not(.q)", (tds) => tds.map((td) => Number(td.textContent)));
        assert.deepEqual(shown, nativeOutputs, "the page shows the verified outputs");
        const shownQ = await page.$$eval("#output-table td.q", (tds) => tds.map((td) => Number(td.textContent)));
        assert.deepEqual(shownQ, JSON.parse(fs.readFileSync(cases.valid, "utf8")).outputs_q[0][0], "and the proved integers");
        const argmax = nativeOutputs.indexOf(Math.max(...nativeOutputs));
        assert.equal(Number(await page.textContent("#predicted")), argmax);
        const label = JSON.parse(fs.readFileSync(path.join(repo, "models/digits_mlp/meta.json"), "utf8")).label;
        assert.equal(argmax, label, "the bundled input is classified correctly");
        assert.equal(r.code, "");
      } else {
        assert.ok(r.reason.length > 0, `${name}: a reason is shown`);
        assert.equal(r.srs, "", `${name}: no SRS claimed for a rejected proof`);
        if (CODES[name]) assert.equal(r.code, CODES[name], `${name}: ${r.reason}`);
      }
    }
    assert.deepEqual(errors, [], "no uncaught errors on the page");
    assert.equal(nativeCode.valid, 0);
    for (const name of Object.keys(CODES)) assert.equal(nativeCode[name], 1, name);
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
