//! `zkinfer export-verifier DIR --out WEBDIR`: a static folder that verifies proofs of one model in the
//! browser: the model's verifier artifacts, the WASM verifier and its JS glue, and the page.

use crate::error::ProverError;
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

fn copy(from: &Path, to: &Path) -> Result<(), ProverError> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| ProverError::io(from, e))
}

/// Writes the verification page of the model in `dir` to `out`; returns the files written.
pub fn export_verifier(
    dir: &Path,
    out: &Path,
    wasm_dir: &Path,
) -> Result<Vec<PathBuf>, ProverError> {
    // the artifacts must load and belong together before they are published
    zkinfer_verifier::VerifierArtifacts::load_dir(dir)?;
    for f in WASM_FILES {
        if !wasm_dir.join(f).exists() {
            return Err(ProverError::Io {
                file: wasm_dir.join(f).display().to_string(),
                message: "missing: build the WASM verifier first with scripts/build-wasm.sh".into(),
            });
        }
    }
    let pkg = out.join("pkg");
    std::fs::create_dir_all(&pkg).map_err(|e| ProverError::io(&pkg, e))?;
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
        std::fs::write(&p, text).map_err(|e| ProverError::io(&p, e))?;
        written.push(p);
    }
    Ok(written)
}
