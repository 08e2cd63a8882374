//! Stored verifying keys and proofs, one per layout variant in use (after zcash/halo2's
//! `test_against_stored_circuit`).
//!
//! Every deployed verifier pins a vk: market listings pin its hash, the escrow pins the generated verifier's
//! code. So a change to a chip, to `lane_slot` or to a gate's column order must never change a vk silently.
//! For each variant, `tests/fixtures/stored/<variant>/` holds what a verifier has (`settings.json`, `vk.bin`,
//! `verifier_params.bin`, `proof.json`) plus the compiled `model.json`. The test
//!
//! - rebuilds the vk from the stored settings and model with the same deterministic SRS and requires the
//!   very bytes stored: a circuit change shows here, and under the same `SETTINGS_VERSION` it fails with
//!   "changed without a settings-version bump";
//! - verifies the stored proof with the stored artifacts: proofs made by an earlier build stay valid.
//!
//! After a deliberate circuit change (with `SETTINGS_VERSION` bumped), regenerate the fixtures with
//! `ZKINFER_BLESS=1 cargo test --release -p zkinfer-prover --test stored_keys` and commit them.

mod common;

use common::models;
use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::plonk::{keygen_pk, keygen_vk};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand_chacha::rand_core::SeedableRng;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::settings::{LaneKind, LimbRows, SETTINGS_VERSION};
use zkinfer_prover::{pipeline, Device, ModelDir};
use zkinfer_verifier::artifacts::{write_vk, VerifierArtifacts, VerifierParams};
use zkinfer_verifier::{judge, ProofFile, Provenance, SrsPolicy, Statement};

/// The seed of the stored fixtures' SRS (a development SRS: its secret is known, which is fine for a
/// fixture and is why verifying them needs `SrsPolicy::AllowDevelopment`).
const SRS_SEED: u64 = 0x7a6b_696e_6665_7231;

/// A layout variant: the model it is compiled from and how its layout is forced.
struct Variant {
    name: &'static str,
    /// Folder under `models/` with `model.onnx`, `input.json` and (optionally) `calibration.json`.
    model: &'static str,
    limbs: bool,
    /// Limb row form and lane count forced onto the compiled layout (`None`: as compiled).
    rows: Option<(LimbRows, usize)>,
    /// What the compiled layout must have, so that the variant stays the one its name says.
    check: fn(&zkinfer_circuits::settings::LayoutParams) -> bool,
}

const VARIANTS: &[Variant] = &[
    Variant {
        name: "affine",
        model: "iris_mlp",
        limbs: false,
        rows: None,
        check: |l| matches!(l.lane, LaneKind::Affine { .. }),
    },
    Variant {
        name: "limb_two_rows",
        model: "iris_mlp",
        limbs: true,
        rows: Some((LimbRows::Two, 1)),
        check: |l| l.limb_bits().is_some(),
    },
    Variant {
        name: "limb_one_row",
        model: "iris_mlp",
        limbs: true,
        rows: Some((LimbRows::One, 1)),
        check: |l| l.limb_bits().is_some(),
    },
    Variant {
        name: "limb_mixed",
        model: "iris_mlp",
        limbs: true,
        rows: Some((LimbRows::OneLastLaneTwo, 2)),
        check: |l| l.limb_bits().is_some(),
    },
    Variant {
        name: "boolean_lanes",
        model: "trees/iris_tree",
        limbs: true,
        rows: None,
        check: |l| l.gate.boolean,
    },
    Variant {
        name: "dot_tile",
        model: "conformance/subset/pytorch-operator__test_operator_mm",
        limbs: true,
        rows: None,
        check: |l| l.dot_pairs > 0,
    },
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stored")
}

fn srs(k: u32) -> ParamsKZG<Bn256> {
    ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(SRS_SEED))
}

/// The vk bytes (`vk.bin`) of a model directory's settings and model, with the fixtures' SRS.
fn rebuild_vk(md: &ModelDir) -> Vec<u8> {
    let (settings, settings_bytes) = md.settings().expect("settings");
    let model = Arc::new(md.compiled_model(&settings).expect("model"));
    let circuit = ModelCircuit::for_keygen(settings.clone(), model);
    let vk = keygen_vk(&srs(settings.k), &circuit).expect("keygen_vk");
    write_vk(&vk, &settings_bytes)
}

/// Compiles, sets up (fixtures' SRS) and proves a variant into `dir`; keeps only what is stored.
fn bless(v: &Variant, dir: &Path) {
    let src = models().join(v.model);
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = ModelDir::new(tmp.path());
    // the model's calibration file, or its own input (the conformance models ship no calibration set)
    let samples: Vec<PathBuf> = [src.join("calibration.json"), src.join("input.json")]
        .into_iter()
        .filter(|p| p.exists())
        .take(1)
        .collect();
    let opts = CompileOptions {
        limbs: v.limbs,
        ..CompileOptions::default()
    };
    pipeline::compile_with(&src.join("model.onnx"), &md, &samples, &opts).expect("compile");
    let (mut settings, _) = md.settings().expect("settings");
    if let Some((rows, lanes)) = v.rows {
        let limb_bits = settings.layout.limb_bits().expect("limb lanes");
        settings.layout.lane = LaneKind::Limb { limb_bits, rows };
        settings.layout.lanes = lanes;
        let quant = md.compiled_model(&settings).expect("model").quant;
        md.write_compiled(settings, quant).expect("write");
    }
    let (settings, settings_bytes) = md.settings().expect("settings");
    assert!(
        (v.check)(&settings.layout),
        "{}: {:?}",
        v.name,
        settings.layout
    );
    let model = Arc::new(md.compiled_model(&settings).expect("model"));
    let params = srs(settings.k);
    let circuit = ModelCircuit::for_keygen(settings.clone(), model);
    let vk = keygen_vk(&params, &circuit).expect("keygen_vk");
    let pk = keygen_pk(&params, vk.clone(), &circuit).expect("keygen_pk");
    md.write_pk(&pk, &settings_bytes).expect("pk");
    md.write_vk(&write_vk(&vk, &settings_bytes)).expect("vk");
    md.write_params(&params).expect("params");
    md.write_verifier_params(
        &VerifierParams::from_full(&params)
            .with_provenance(Provenance::Development)
            .to_bytes(),
    )
    .expect("verifier params");
    let inputs = pipeline::read_input(&src.join("input.json"), &settings).expect("input");
    let proof = pipeline::prove(&md, &inputs, Device::Cpu)
        .expect("prove")
        .proof;
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join("proof.json"), proof.to_json()).expect("write proof");
    for name in [
        "settings.json",
        "model.json",
        "vk.bin",
        "verifier_params.bin",
    ] {
        std::fs::copy(md.file(name), dir.join(name)).expect("copy");
    }
}

#[test]
fn stored_verifying_keys_and_proofs_of_every_layout_still_hold() {
    let blessing = std::env::var("ZKINFER_BLESS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for v in VARIANTS {
        let dir = fixtures().join(v.name);
        if blessing {
            bless(v, &dir);
        }
        let md = ModelDir::new(&dir);
        let (settings, _) = md.settings().expect("stored settings");
        assert!(
            (v.check)(&settings.layout),
            "{}: {:?}",
            v.name,
            settings.layout
        );
        if rebuild_vk(&md) != md.vk_bytes().expect("stored vk") {
            failures.push(match settings.version == SETTINGS_VERSION {
                true => format!(
                    "{}: the verifying key changed without a settings-version bump (settings version \
                     {SETTINGS_VERSION}): every deployed verifier of this layout would refuse new proofs. \
                     Undo the circuit change, or bump SETTINGS_VERSION and re-bless (ZKINFER_BLESS=1)",
                    v.name
                ),
                false => format!(
                    "{}: stored for settings version {}, this build writes {SETTINGS_VERSION}: re-bless \
                     (ZKINFER_BLESS=1) and commit",
                    v.name, settings.version
                ),
            });
        }
        // the stored proof verifies with the stored artifacts, as a deployed verifier would
        let artifacts = VerifierArtifacts::load_dir(&dir).expect("stored artifacts");
        let bytes = std::fs::read(dir.join("proof.json")).expect("stored proof");
        let proof = ProofFile::parse(&bytes, "proof.json").expect("parses");
        let statement = Statement {
            srs: SrsPolicy::AllowDevelopment,
            ..Statement::default()
        };
        if let Err(rejection) = judge(&artifacts, &proof, &statement) {
            failures.push(format!(
                "{}: the stored proof is refused: {rejection}",
                v.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    an_edited_circuit_changes_the_stored_vk();
}

/// The check above is not vacuous: the same settings with one lane more give another vk.
fn an_edited_circuit_changes_the_stored_vk() {
    let dir = fixtures().join("limb_two_rows");
    let tmp = tempfile::tempdir().expect("tempdir");
    for name in ["settings.json", "model.json"] {
        std::fs::copy(dir.join(name), tmp.path().join(name)).expect("copy");
    }
    let md = ModelDir::new(tmp.path());
    let (mut settings, _) = md.settings().expect("settings");
    let quant = md.compiled_model(&settings).expect("model").quant;
    settings.layout.lanes += 1;
    md.write_compiled(settings, quant).expect("write");
    assert_ne!(
        rebuild_vk(&md),
        std::fs::read(dir.join("vk.bin")).expect("stored vk")
    );
}
