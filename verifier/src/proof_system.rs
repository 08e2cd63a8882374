//! The proof system, named once: PLONK (halo2-axiom) with KZG commitments on BN254, SHPLONK multi-openings,
//! a Blake2b transcript with 255-bit challenges, and the single-proof verification strategy. Every other
//! part of zkinfer (verifier, prover, CUDA self-check) uses these aliases, so changing a component is a
//! one-line change here (and a format-version bump for the artifacts it affects).

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine, G2Affine};
use halo2_proofs::plonk::{verify_proof, ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::TranscriptReadBuffer;
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};

/// The pairing engine (BN254).
pub type Engine = Bn256;
/// The scalar field of the circuit.
pub type Scalar = Fr;
/// Commitments and G1 points of the SRS.
pub type G1 = G1Affine;
/// G2 points of the SRS (`g2`, `s*g2`).
pub type G2 = G2Affine;
/// The polynomial commitment scheme: KZG on BN254.
pub type Scheme = KZGCommitmentScheme<Bn256>;
/// KZG parameters (the SRS).
pub type Params = ParamsKZG<Bn256>;
/// The multi-opening verifier: SHPLONK.
pub type MultiopenVerifier<'params> = VerifierSHPLONK<'params, Bn256>;
/// The multi-opening prover: SHPLONK.
pub type MultiopenProver<'params> = ProverSHPLONK<'params, Bn256>;
/// The transcript a verifier reads: Blake2b with 255-bit challenges.
pub type TranscriptReader<R> = Blake2bRead<R, G1Affine, Challenge255<G1Affine>>;
/// The transcript a prover writes: Blake2b with 255-bit challenges.
pub type TranscriptWriter<W> = Blake2bWrite<W, G1Affine, Challenge255<G1Affine>>;
/// The verification strategy: one proof at a time, checked immediately.
pub type Strategy<'params> = SingleStrategy<'params, Bn256>;
/// A verifying key of this proof system.
pub type Vk = VerifyingKey<G1Affine>;
/// A proving key of this proof system.
pub type Pk = ProvingKey<G1Affine>;

/// Why [`check`] rejected a proof.
#[derive(Debug)]
pub enum ProofCheckError {
    /// halo2 rejected it (`Error::Transcript` when the bytes cannot be read as a proof).
    Plonk(halo2_proofs::plonk::Error),
    /// The proof verified but more bytes follow it.
    TrailingBytes,
}

/// The raw cryptographic check, the only call of halo2's verifier in zkinfer: does `proof` verify for
/// exactly `instances` (the full vector) under `vk` and `params`, with no byte left over? It judges
/// neither the SRS nor what the instances mean: that is [`crate::judge`]'s job; the prover's self-checks
/// (the CUDA worker's proofs) call this directly.
pub fn check(
    params: &Params,
    vk: &Vk,
    instances: &[Fr],
    proof: &[u8],
) -> Result<(), ProofCheckError> {
    let mut rest: &[u8] = proof;
    let mut transcript = TranscriptReader::init(&mut rest);
    verify_proof::<Scheme, MultiopenVerifier<'_>, _, _, Strategy<'_>>(
        params,
        vk,
        Strategy::new(params),
        &[&[instances]],
        &mut transcript,
    )
    .map_err(ProofCheckError::Plonk)?;
    if !rest.is_empty() {
        return Err(ProofCheckError::TrailingBytes);
    }
    Ok(())
}
