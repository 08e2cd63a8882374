//! A model directory's proving artifacts, loaded once: settings, the planned model, the proving key, the
//! prover's params and the model id. [`crate::pipeline::prove_bound`] loads one per call (the CLI proves
//! once per process); a long-lived caller (the Python binding's `zkinfer.Prover`, a proving service) keeps
//! one and proves many inferences without reading or copying the keys again.

use crate::backend::ProverBackend;
use crate::error::ProverError;
use crate::model_dir::ModelDir;
use crate::pipeline::ProveSummary;
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand::rngs::OsRng;
use std::sync::Arc;
use std::time::Instant;
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::poseidon::{fr_to_be_hex, Opening};
use zkinfer_circuits::settings::{IoSpec, Settings};
use zkinfer_circuits::settings::{TensorRole, Visibility};
use zkinfer_circuits::witness;
use zkinfer_circuits::Fr;
use zkinfer_verifier::artifacts::{model_id, VerifierParams};
use zkinfer_verifier::instances::ProvedTensor;
use zkinfer_verifier::openings_file::{OpeningsFile, TensorKind, TensorOpening, OPENINGS_VERSION};
use zkinfer_verifier::proof_file::ProofFile;
use zkinfer_verifier::weights_file::WeightsOpeningsFile;
use zkinfer_verifier::TranscriptKind;

/// Every input of the circuit (data, then committed weights) and the salts given for its hashed tensors.
type InputsAndSalts = (Vec<Vec<f64>>, Vec<Option<Fr>>);

/// Everything `prove` reads from a model directory, read once.
#[derive(Debug)]
pub struct LoadedModel {
    /// The model's settings.
    pub settings: Settings,
    /// The planned, quantised model.
    pub model: Arc<CompiledModel>,
    /// The proving key.
    pub pk: ProvingKey<G1Affine>,
    /// The prover's params (`kzg.srs`).
    pub params: ParamsKZG<Bn256>,
    /// The model id (settings, vk and SRS) that proof files carry.
    pub model_id: String,
    /// The committed weights proved with (`weights.openings.json` of the directory, or the file given
    /// to [`LoadedModel::with_weights`]); `None` for a model with fixed weights.
    pub weights: Option<WeightsOpeningsFile>,
}

impl LoadedModel {
    /// Reads and checks the settings, model, proving key, params and verifying key of `dir`.
    pub fn load(dir: &ModelDir) -> Result<Self, ProverError> {
        let (settings, settings_bytes) = dir.settings()?;
        let model = Arc::new(dir.compiled_model(&settings)?);
        let params = dir.params(settings.k)?;
        let pk = dir.proving_key(&settings, &settings_bytes, &params, &model)?;
        let vk_bytes = dir.vk_bytes()?;
        let model_id = model_id(
            &settings_bytes,
            &vk_bytes,
            &VerifierParams::from_full(&params),
        );
        let weights = match settings.has_committed_weights() {
            true => Some(dir.weights_openings(&settings, None)?),
            false => None,
        };
        Ok(Self {
            settings,
            model,
            pk,
            params,
            model_id,
            weights,
        })
    }

    /// Proves with another weight set of the architecture (its openings, from `zkinfer commit-weights`).
    pub fn with_weights(mut self, weights: WeightsOpeningsFile) -> Result<Self, ProverError> {
        if !self.settings.has_committed_weights() {
            return Err(crate::weights::WeightsError::NotCommitted.into());
        }
        self.weights = Some(weights);
        Ok(self)
    }

    /// The model's data inputs followed by its committed weights (dequantised from their openings), and
    /// the salt of each hashed tensor in commitment order where it is given: the data inputs' from
    /// `data_salts` (hashed data inputs in order), the weights' from their openings, fresh ones for the
    /// rest.
    fn with_committed(
        &self,
        inputs: &[Vec<f64>],
        data_salts: &[Fr],
    ) -> Result<InputsAndSalts, ProverError> {
        let s = &self.settings;
        let data = s.data_inputs();
        let hashed_data = data
            .iter()
            .filter(|i| i.visibility == Visibility::Hashed)
            .count();
        let mut salts: Vec<Option<Fr>> = (0..hashed_data)
            .map(|i| data_salts.get(i).copied())
            .collect();
        // salts given past the hashed data inputs are the hashed outputs' (a split model's cut tensors),
        // which come after the committed weights in commitment order
        let output_salts = data_salts.iter().skip(hashed_data).map(|s| Some(*s));
        if !s.has_committed_weights() {
            salts.extend(output_salts);
            return Ok((inputs.to_vec(), salts));
        }
        let weights = self.weights.as_ref().ok_or_else(|| {
            ProverError::input(
                "the model's weights are committed: give their openings (weights.openings.json)"
                    .to_string(),
            )
        })?;
        if inputs.len() != data.len() {
            return Err(ProverError::input(format!(
                "{} input(s) given for the model's {} data input(s)",
                inputs.len(),
                data.len()
            )));
        }
        let mut all = inputs.to_vec();
        all.extend(crate::weights::dequantised(s, weights));
        salts.extend(weights.openings.iter().map(|o| Some(o.salt)));
        salts.extend(output_salts);
        Ok((all, salts))
    }

    /// Proves one inference (flat row-major values, one list per input) bound to `bind` on `backend`, with
    /// the Blake2b transcript.
    pub fn prove(
        &self,
        inputs: &[Vec<f64>],
        backend: &dyn ProverBackend,
        bind: Fr,
    ) -> Result<ProveSummary, ProverError> {
        self.prove_with(inputs, backend, bind, TranscriptKind::Blake2b)
    }

    /// [`LoadedModel::prove`] with the transcript the proof is written with (`Evm` for Solidity verifiers).
    pub fn prove_with(
        &self,
        inputs: &[Vec<f64>],
        backend: &dyn ProverBackend,
        bind: Fr,
        transcript: TranscriptKind,
    ) -> Result<ProveSummary, ProverError> {
        self.prove_salted(inputs, &[], backend, bind, transcript)
    }

    /// Proves the inputs of `openings` (the hashed inputs' stored values) under their salts, so that the
    /// proof's input commitments are the ones the openings open: how a provider proves a job whose buyer
    /// committed to the input (an escrow or market job that names the commitment). Every input of the
    /// model must be hashed; hashed outputs get fresh salts.
    pub fn prove_opened(
        &self,
        openings: &[Opening],
        backend: &dyn ProverBackend,
        bind: Fr,
        transcript: TranscriptKind,
    ) -> Result<ProveSummary, ProverError> {
        let specs = self.settings.data_inputs();
        if let Some(public) = specs.iter().find(|s| s.visibility != Visibility::Hashed) {
            return Err(ProverError::input(format!(
                "input '{}' is {}: proving from openings needs every input hashed (give an input file)",
                public.name,
                public.visibility.name()
            )));
        }
        if openings.len() != specs.len() {
            return Err(ProverError::input(format!(
                "{} opening(s) for the model's {} hashed input(s)",
                openings.len(),
                specs.len()
            )));
        }
        let mut inputs = Vec::with_capacity(specs.len());
        for (spec, o) in specs.iter().zip(openings) {
            if o.values.len() != spec.numel() {
                return Err(ProverError::input(format!(
                    "the opening of '{}' has {} values, its shape {:?} needs {}",
                    spec.name,
                    o.values.len(),
                    spec.shape,
                    spec.numel()
                )));
            }
            inputs.push(
                o.values
                    .iter()
                    .map(|&q| {
                        spec.encoding
                            .dequantise(i64::try_from(q).unwrap_or(i64::MAX))
                    })
                    .collect(),
            );
        }
        let salts: Vec<Fr> = openings.iter().map(|o| o.salt).collect();
        let proved = self.prove_salted(&inputs, &salts, backend, bind, transcript)?;
        // the inputs proved are the opened ones exactly (their values lie on the inputs' grids)
        let same = proved
            .openings
            .openings
            .iter()
            .zip(openings)
            .all(|(p, o)| p.values == o.values && p.salt == o.salt);
        match same {
            true => Ok(proved),
            false => Err(ProverError::input(
                "an opening's values are outside its input's range [0, 2^bits)".to_string(),
            )),
        }
    }

    /// Proves with the given salts for the first hashed data inputs (in commitment order), the committed
    /// weights' own salts, then the rest of the given salts for the hashed outputs, and fresh ones for the
    /// rest.
    pub(crate) fn prove_salted(
        &self,
        data_inputs: &[Vec<f64>],
        given_salts: &[Fr],
        backend: &dyn ProverBackend,
        bind: Fr,
        transcript: TranscriptKind,
    ) -> Result<ProveSummary, ProverError> {
        let settings = &self.settings;
        let t = Instant::now();
        let (all_inputs, given) = self.with_committed(data_inputs, given_salts)?;
        let inputs = &all_inputs[..];
        // a fresh uniformly random salt per hashed tensor, from the OS: the commitment must not let anyone
        // test a guess of the values
        let salts: Vec<Fr> = (0..settings.instance_layout().hashed().len())
            .map(|i| {
                given
                    .get(i)
                    .copied()
                    .flatten()
                    .unwrap_or_else(|| Fr::random(OsRng))
            })
            .collect();
        let w = Arc::new(
            witness::generate(&self.model.quant, &self.model.plan, inputs)?
                .with_bind(bind)
                .with_salts(salts),
        );
        let witness_time = t.elapsed();
        let circuit = ModelCircuit::with_witness(settings.clone(), self.model.clone(), w.clone());
        let instances = circuit.instances();
        let t = Instant::now();
        let proof = backend.prove_with(&self.params, &self.pk, circuit, &instances, transcript)?;
        let proving = t.elapsed();
        // the stored integers of the inputs and outputs, exactly as the instances encode them
        let mut it = w.instances.iter();
        let mut take = |specs: &[IoSpec]| -> Vec<Vec<i64>> {
            specs
                .iter()
                .map(|s| it.by_ref().take(s.numel()).map(|v| *v as i64).collect())
                .collect()
        };
        let (ins_q, outs_q) = (take(&settings.inputs), take(&settings.outputs));
        let all_openings = w.openings();
        if let Some(weights) = &self.weights {
            let first = settings
                .inputs
                .iter()
                .take(settings.data_inputs().len())
                .filter(|i| i.visibility == Visibility::Hashed)
                .count();
            let proved = all_openings.get(first..first + weights.openings.len());
            let same = proved.is_some_and(|p| {
                p.iter()
                    .zip(&weights.openings)
                    .all(|(p, o)| p.values == o.values && p.salt == o.salt)
            });
            if !same {
                return Err(ProverError::input(
                    "a committed weight's stored values are outside its encoding's range"
                        .to_string(),
                ));
            }
        }
        let openings = tensor_openings(settings, &all_openings, &self.model_id)?;
        // every hashed tensor's commitment, the committed weights' included
        let mut commitments = all_openings.iter();
        let mut proved = |specs: &[IoSpec], stored: &[Vec<i64>]| -> Vec<ProvedTensor> {
            specs
                .iter()
                .zip(stored)
                .map(|(s, v)| match s.visibility {
                    Visibility::Public => ProvedTensor::Public(v.clone()),
                    Visibility::Hashed => commitments
                        .next()
                        .and_then(|o| o.commitment().ok())
                        .map_or(ProvedTensor::Private, ProvedTensor::Hashed),
                    Visibility::Private => ProvedTensor::Private,
                })
                .collect()
        };
        let (ins, outs) = (
            proved(&settings.inputs, &ins_q),
            proved(&settings.outputs, &outs_q),
        );
        let file = ProofFile::new(
            settings,
            &self.model_id,
            transcript,
            &proof,
            &ins,
            &outs,
            bind,
        )
        .map_err(|e| ProverError::input(e.to_string()))?;
        debug_assert_eq!(file.instances.len(), instances.len());
        let outs: Vec<Vec<f64>> = outs_q
            .iter()
            .zip(&settings.outputs)
            .map(|(q, s)| q.iter().map(|&v| s.encoding.dequantise(v)).collect())
            .collect();
        Ok(ProveSummary {
            proof_bytes: proof.len(),
            proof: file,
            openings,
            outputs: outs,
            witness: witness_time,
            proving,
            backend: backend.name(),
        })
    }
}

/// The openings file of one proof: each hashed tensor's commitment, values and salt (in the witness's
/// commitment order: hashed inputs, then hashed outputs).
fn tensor_openings(
    settings: &Settings,
    openings: &[Opening],
    model_id: &str,
) -> Result<OpeningsFile, ProverError> {
    let hashed = settings
        .inputs
        .iter()
        .enumerate()
        .map(|(i, s)| (TensorKind::Input, i, s))
        .chain(
            settings
                .outputs
                .iter()
                .enumerate()
                .map(|(i, s)| (TensorKind::Output, i, s)),
        )
        .filter(|(_, _, s)| s.visibility == Visibility::Hashed);
    // the committed weights' openings stay with the prover: never in the proof's openings file
    let openings = hashed
        .zip(openings)
        .filter(|((_, _, spec), _)| spec.role == TensorRole::Data)
        .map(|((kind, index, spec), opening)| {
            let commitment = opening
                .commitment()
                .map_err(|e| ProverError::input(format!("{}: {e}", spec.name)))?;
            Ok(TensorOpening {
                tensor: spec.name.clone(),
                kind,
                index,
                commitment: fr_to_be_hex(&commitment),
                values: opening.values.clone(),
                salt: opening.salt,
            })
        })
        .collect::<Result<Vec<_>, ProverError>>()?;
    Ok(OpeningsFile {
        version: OPENINGS_VERSION,
        model_id: model_id.to_string(),
        openings,
    })
}
