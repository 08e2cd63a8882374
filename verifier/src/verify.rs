//! Verification of a proof file against a model's verifier artifacts.

use crate::artifacts::VerifierArtifacts;
use crate::error::VerifyError;
use crate::instances::instances;
use crate::proof_file::{flatten, ProofFile};
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::verify_proof;
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{Blake2bRead, Challenge255, TranscriptReadBuffer};
use zkinfer_circuits::field::{fr_from_hex, fr_to_hex};
use zkinfer_circuits::Fr;

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub valid: bool,
    /// Why the proof is invalid.
    pub reason: Option<String>,
    /// The verified outputs (flat, one list per output), empty when invalid.
    pub outputs: Vec<Vec<f64>>,
}

impl Verdict {
    fn invalid(reason: impl Into<String>) -> Self {
        Self {
            valid: false,
            reason: Some(reason.into()),
            outputs: Vec::new(),
        }
    }
}

impl VerifierArtifacts {
    /// Parses and verifies `proof.json` bytes.
    pub fn verify_json(&self, bytes: &[u8], file: &str) -> Result<Verdict, VerifyError> {
        let proof = ProofFile::parse(bytes, file)?;
        self.verify(&proof, file)
    }

    /// Verifies a proof file. `Err` means the file is malformed; an invalid proof is `Ok` with `valid = false`.
    pub fn verify(&self, p: &ProofFile, file: &str) -> Result<Verdict, VerifyError> {
        let proof = p.proof_bytes(file)?;
        if p.model_id != self.model_id {
            return Ok(Verdict::invalid(format!(
                "the proof was made for model {}, not this model ({})",
                short(&p.model_id),
                short(&self.model_id)
            )));
        }
        let lists = |vs: &[serde_json::Value], what: &str| -> Result<Vec<Vec<f64>>, VerifyError> {
            vs.iter()
                .enumerate()
                .map(|(i, v)| {
                    flatten(v, &format!("{what}[{i}]")).map_err(|e| VerifyError::format(file, e))
                })
                .collect()
        };
        let (inputs, outputs) = (lists(&p.inputs, "inputs")?, lists(&p.outputs, "outputs")?);
        let bind = p.bind_value(file)?;
        let expected = match instances(&self.settings, &inputs, &outputs, bind) {
            Ok(i) => i,
            Err(e) => return Ok(Verdict::invalid(e)),
        };
        if p.instances.len() != expected.len()
            || p.instances
                .iter()
                .zip(&expected)
                .any(|(h, e)| fr_from_hex(h) != Some(*e))
        {
            return Ok(Verdict::invalid(
                "the inputs or outputs in the file do not match its public instances (edited after proving)",
            ));
        }
        match self.verify_instances(&proof, &expected) {
            Ok(()) => Ok(Verdict {
                valid: true,
                reason: None,
                outputs,
            }),
            Err(reason) => Ok(Verdict::invalid(reason)),
        }
    }

    /// The cryptographic check: does `proof` verify for exactly these instances?
    pub fn verify_instances(&self, proof: &[u8], instances: &[Fr]) -> Result<(), String> {
        if instances.len() != self.settings.num_instances() {
            return Err(format!(
                "{} instances given, the model has {}",
                instances.len(),
                self.settings.num_instances()
            ));
        }
        self.check_proof(proof, instances).map_err(|e| match e {
            ProofCheckError::TrailingBytes => "the proof has trailing bytes".to_string(),
            ProofCheckError::Plonk(e) => {
                format!("the proof does not verify against this model's verifying key ({e:?})")
            }
        })
    }

    /// The halo2 check with the error kept typed, for callers that treat an unreadable proof (a
    /// transcript error, trailing bytes) differently from a well-formed proof that fails (the market
    /// slashes only the latter). The caller must pass the full expected instance vector.
    pub fn check_proof(&self, proof: &[u8], instances: &[Fr]) -> Result<(), ProofCheckError> {
        let params = &self.params.params;
        let mut rest: &[u8] = proof;
        let mut transcript = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&mut rest);
        verify_proof::<
            KZGCommitmentScheme<Bn256>,
            VerifierSHPLONK<'_, Bn256>,
            _,
            _,
            SingleStrategy<'_, Bn256>,
        >(
            params,
            &self.vk,
            SingleStrategy::new(params),
            &[&[instances]],
            &mut transcript,
        )
        .map_err(ProofCheckError::Plonk)?;
        drop(transcript);
        if !rest.is_empty() {
            return Err(ProofCheckError::TrailingBytes);
        }
        Ok(())
    }
}

/// Why [`VerifierArtifacts::check_proof`] rejected a proof.
#[derive(Debug)]
pub enum ProofCheckError {
    /// halo2 rejected it (`Error::Transcript` when the bytes cannot be read as a proof).
    Plonk(halo2_proofs::plonk::Error),
    /// The proof verified but more bytes follow it.
    TrailingBytes,
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Hex of every instance (for writing proof files).
pub fn instances_hex(instances: &[Fr]) -> Vec<String> {
    instances.iter().map(fr_to_hex).collect()
}
