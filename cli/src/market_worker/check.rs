//! The provider loop's start-up check: every served folder must be able to prove for a listing of the
//! market before the loop claims anything, so that a broken folder costs no collateral.
//!
//! A folder whose `pk.bin` is a readable proving key of the right settings can still be the key of
//! another `zkinfer setup` (another SRS): its proofs never verify against the listed `vk.bin`, and every
//! claim would be slashed. So besides reading each file, the check compares the verifying key inside
//! `pk.bin` with `vk.bin`, the SRS of `kzg.srs` with `verifier_params.bin`, and finally proves a sample
//! input and verifies that proof against the listing's artifacts.

use super::own_check::{prove_checked, sample_inputs, OwnCheckError};
use anyhow::{anyhow, bail, Context};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_market::client::Client;
use zkinfer_prover::{Device, ModelDir, ProverError};
use zkinfer_verifier::{VerifierArtifacts, VerifierParams};

/// A model served by the loop.
pub(super) struct Served {
    pub(super) path: PathBuf,
    pub(super) dir: ModelDir,
    pub(super) model: Arc<CompiledModel>,
    /// The verifier artifacts of the folder: those of the listing (same model id), which every proof is
    /// checked against before it is submitted.
    pub(super) listing: Arc<VerifierArtifacts>,
    /// The last proving time (a first guess until one proof is made).
    pub(super) estimate: Duration,
    /// Whether a proof of this folder verified against the listing (the sample at start-up, or the first
    /// job's input when the sample is not an input the model takes).
    pub(super) proved_once: bool,
    /// Why the loop stopped claiming jobs of this model (a failure not about one input).
    pub(super) disabled: Option<String>,
}

/// The key the loop files a model id under: model ids are hex, compared case-insensitively.
pub(super) fn model_key(id: &str) -> String {
    id.to_ascii_lowercase()
}

/// Loads and checks each served folder, keyed by model id: settings, the compiled model, the proving key
/// (`pk.bin`, or rebuilt from `vk.bin`)
/// (present, a zkinfer proving key made for these settings, readable, and the key of `vk.bin`), the SRS
/// for the settings' `k` (the one of `verifier_params.bin`), the verifier artifacts; a listing on the
/// server pins each model id; and a sample proof verifies against them. The proving device must be
/// usable. `Err` names the folder and what is wrong.
pub(super) fn check_served(
    client: &Client,
    dirs: &[PathBuf],
    device: Device,
    sample_bind: halo2_proofs::halo2curves::bn256::Fr,
) -> anyhow::Result<HashMap<String, Served>> {
    zkinfer_prover::backend_for(device).with_context(|| format!("cannot prove on {device}"))?;
    let mut out: HashMap<String, Served> = HashMap::new();
    for d in dirs {
        let s = check_folder(d)?;
        let id = model_key(&s.listing.model_id);
        if out.contains_key(&id) {
            bail!("{}: the same model (id {id}) is served twice", d.display());
        }
        out.insert(id, s);
    }
    let listings = client
        .models()
        .map_err(|e| anyhow!("cannot read the market's listings: {e}"))?;
    for (id, s) in &out {
        if !listings.iter().any(|l| &model_key(&l.model_id) == id) {
            bail!(
                "{}: no listing on the market pins model id {id} (list it with `zkinfer market \
                 list-model`, or serve the folder of the listed model)",
                s.path.display()
            );
        }
    }
    for s in out.values_mut() {
        sample_proof(s, device, sample_bind)?;
    }
    Ok(out)
}

/// Reads and cross-checks one folder's files (no proof yet).
fn check_folder(d: &Path) -> anyhow::Result<Served> {
    let at = || d.display().to_string();
    let md = ModelDir::new(d);
    let (settings, settings_bytes) = md.settings().with_context(at)?;
    let model = Arc::new(md.compiled_model(&settings).with_context(at)?);
    let params = md.params(settings.k).with_context(at)?;
    let pk = md
        .proving_key(&settings, &settings_bytes, &params, &model)
        .with_context(|| {
            format!(
                "{}: the proving key cannot be used: run `zkinfer setup` on this folder",
                d.display()
            )
        })?;
    let listing = VerifierArtifacts::load_dir(d).with_context(at)?;
    let vk_bytes = md.vk_bytes().with_context(at)?;
    if zkinfer_verifier::vk_file::write_vk(pk.get_vk(), &settings_bytes) != vk_bytes {
        bail!(
            "{}: pk.bin is not the proving key of vk.bin (the verifying key the listing pins): it \
             comes from another `zkinfer setup` of this model, and every proof made with it would be \
             rejected and slashed. Copy pk.bin, vk.bin and kzg.srs from the folder the model was \
             listed from",
            d.display()
        );
    }
    if VerifierParams::from_full(&params).canonical_bytes() != listing.params.canonical_bytes() {
        bail!(
            "{}: kzg.srs is not the SRS of verifier_params.bin (the SRS the listing pins): proofs \
             made with it would be rejected and slashed. Copy kzg.srs from the folder the model was \
             listed from",
            d.display()
        );
    }
    Ok(Served {
        path: d.to_path_buf(),
        dir: md,
        model,
        listing: Arc::new(listing),
        estimate: Duration::from_secs(2),
        proved_once: false,
        disabled: None,
    })
}

/// Proves a sample input (all zeros, else each input's mid-range value) and verifies it against the
/// listing. When the model takes neither, the check is left to the first job's input, before that job is
/// claimed (a hashed-input job, whose input comes only after the claim, is then not taken).
fn sample_proof(
    s: &mut Served,
    device: Device,
    bind: halo2_proofs::halo2curves::bn256::Fr,
) -> anyhow::Result<()> {
    for sample in sample_inputs(&s.listing) {
        let t = Instant::now();
        match prove_checked(&s.dir, &s.listing, &sample, device, bind) {
            Ok(_) => {
                s.proved_once = true;
                s.estimate = t.elapsed();
                return Ok(());
            }
            Err(OwnCheckError::Prove(e)) if about_one_input(&e) => {}
            Err(e) => bail!(
                "{}: a sample proof does not verify for the listed model: {e}",
                s.path.display()
            ),
        }
    }
    Ok(())
}

/// Whether a proving failure is about the one job's input (abandon that job only) rather than about
/// the served folder, the device or the build (stop claiming for the model).
pub(super) fn about_one_input(e: &ProverError) -> bool {
    matches!(
        e,
        ProverError::Input { .. } | ProverError::InputCount { .. } | ProverError::InputSize { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_failures_are_told_from_folder_failures() {
        assert!(about_one_input(&ProverError::Input {
            message: "value out of range".into()
        }));
        assert!(!about_one_input(&ProverError::Format {
            file: "pk.bin".into(),
            what: "was made for other settings".into()
        }));
        assert!(!about_one_input(&ProverError::CudaNotBuilt));
    }

    #[test]
    fn model_ids_are_compared_case_insensitively() {
        assert_eq!(model_key("AbC0"), model_key("abc0"));
    }
}
