//! `zkinfer export-verifier DIR --out WEBDIR`: a static folder that verifies proofs of one model in the
//! browser: the model's verifier artifacts, the WASM verifier and its JS glue, and the page.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

const PAGE: [(&str, &str); 3] = [
    (
        "index.html",
        include_str!("../../wasm-verifier/www/index.html"),
    ),
    ("app.js", include_str!("../../wasm-verifier/www/app.js")),
    (
        "worker.js",
        include_str!("../../wasm-verifier/www/worker.js"),
    ),
];
const WASM_FILES: [&str; 3] = [
    "zkinfer_wasm_verifier_bg.wasm",
    "zkinfer_wasm_verifier.js",
    "zkinfer_wasm_verifier.d.ts",
];

/// Where `scripts/build-wasm.sh` puts the WASM verifier.
pub fn default_wasm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("wasm-verifier")
        .join("pkg")
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .map(|_| ())
        .with_context(|| from.display().to_string())
}

/// Writes the verification page of the model in `dir` to `out`; returns the files written.
pub fn export_verifier(dir: &Path, out: &Path, wasm_dir: &Path) -> Result<Vec<PathBuf>> {
    // the artifacts must load and belong together before they are published
    zkinfer_verifier::VerifierArtifacts::load_dir(dir)?;
    for f in WASM_FILES {
        if !wasm_dir.join(f).exists() {
            bail!(
                "{}: missing: build the WASM verifier first with scripts/build-wasm.sh",
                wasm_dir.join(f).display()
            );
        }
    }
    let pkg = out.join("pkg");
    std::fs::create_dir_all(&pkg).with_context(|| pkg.display().to_string())?;
    let mut written = Vec::new();
    for f in ["settings.json", "vk.bin", "verifier_params.bin"] {
        copy(&dir.join(f), &out.join(f))?;
        written.push(out.join(f));
    }
    for f in WASM_FILES {
        copy(&wasm_dir.join(f), &pkg.join(f))?;
        written.push(pkg.join(f));
    }
    for (name, text) in PAGE {
        let p = out.join(name);
        std::fs::write(&p, text).with_context(|| p.display().to_string())?;
        written.push(p);
    }
    Ok(written)
}
