//! The provider loop's start-up check: every served folder must be able to prove for a listing of the
//! market before the loop claims anything, so that a broken folder costs no collateral.

use anyhow::{anyhow, bail, Context};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_market::client::Client;
use zkinfer_prover::{Device, ModelDir, ProverError};

/// A model served by the loop.
pub(super) struct Served {
    pub(super) path: PathBuf,
    pub(super) dir: ModelDir,
    pub(super) model: Arc<CompiledModel>,
    /// The last proving time (a first guess until one proof is made).
    pub(super) estimate: Duration,
    /// Why the loop stopped claiming jobs of this model (a failure not about one input).
    pub(super) disabled: Option<String>,
}

/// Loads and checks each served folder, keyed by model id: settings, the compiled model, `pk.bin`
/// (present, a zkinfer proving key made for these settings, readable), the SRS for the settings' `k`,
/// the verifier artifacts; and a listing on the server pins each model id. The proving device must be
/// usable. `Err` names the folder and what is wrong.
pub(super) fn check_served(
    client: &Client,
    dirs: &[PathBuf],
    device: Device,
) -> anyhow::Result<HashMap<String, Served>> {
    zkinfer_prover::backend_for(device).with_context(|| format!("cannot prove on {device}"))?;
    let mut out: HashMap<String, Served> = HashMap::new();
    for d in dirs {
        let at = || d.display().to_string();
        let md = ModelDir::new(d);
        let (settings, settings_bytes) = md.settings().with_context(at)?;
        let model = Arc::new(md.compiled_model(&settings).with_context(at)?);
        md.pk(&settings, &settings_bytes).with_context(|| {
            format!(
                "{}: the proving key cannot be used: run `zkinfer setup` on this folder",
                d.display()
            )
        })?;
        md.params(settings.k).with_context(at)?;
        let id = zkinfer_verifier::VerifierArtifacts::load_dir(d)
            .with_context(at)?
            .model_id;
        if out.contains_key(&id) {
            bail!("{}: the same model (id {id}) is served twice", d.display());
        }
        out.insert(
            id,
            Served {
                path: d.clone(),
                dir: md,
                model,
                estimate: Duration::from_secs(2),
                disabled: None,
            },
        );
    }
    let listings = client
        .models()
        .map_err(|e| anyhow!("cannot read the market's listings: {e}"))?;
    for (id, s) in &out {
        if !listings.iter().any(|l| &l.model_id == id) {
            bail!(
                "{}: no listing on the market pins model id {id} (list it with `zkinfer market \
                 list-model`, or serve the folder of the listed model)",
                s.path.display()
            );
        }
    }
    Ok(out)
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
}
