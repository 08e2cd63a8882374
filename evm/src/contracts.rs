//! A laid-out verifier compiled with the pinned solc, deployed on a [`Chain`] and called with a proof.

use crate::generate::{encode_calldata, generate, GenerateError};
use crate::layout::{data_initcode, lay_out, LaidOut, Layout, LayoutError};
use crate::runtime::{Address, Chain, ChainError, Outcome, U256};
use crate::solc::{Optimizer, Solc, SolcError, Source};
use halo2_proofs::halo2curves::bn256::Fr;
use thiserror::Error;
use zkinfer_circuits::field::fr_from_hex;
use zkinfer_verifier::{ProofFile, VerifierArtifacts, VerifyError};

/// The verifier contract's name in the generated source.
pub const VERIFIER_CONTRACT: &str = "Halo2Verifier";

/// Why a verifier could not be built.
#[derive(Debug, Error)]
pub enum BuildError {
    /// Generation failed.
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// The layout could not be made.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// solc failed.
    #[error(transparent)]
    Solc(#[from] SolcError),
}

/// A verifier ready to deploy.
#[derive(Debug, Clone)]
pub struct CompiledVerifier {
    /// The layout and its sources.
    pub laid_out: LaidOut,
    /// The compiler version that built it.
    pub solc_version: String,
    /// The verifier's ABI (a constructor for [`Layout::Split`], the fallback).
    pub abi: serde_json::Value,
    /// The verifier's creation code (without constructor arguments).
    pub creation: Vec<u8>,
    /// The verifier's runtime code.
    pub deployed: Vec<u8>,
    /// How many public instances it reads.
    pub num_instances: usize,
}

impl CompiledVerifier {
    /// The data contract's creation code, for [`Layout::Split`].
    pub fn data_initcode(&self) -> Option<Vec<u8>> {
        self.laid_out.data.as_deref().map(data_initcode)
    }

    /// Deploys the data contract (when there is one), then the verifier, from `from`.
    pub fn deploy(&self, chain: &mut Chain, from: Address) -> Result<DeployedVerifier, ChainError> {
        let (data, data_size, mut gas) = match self.data_initcode() {
            Some(init) => {
                let d = chain.deploy(from, &init, &[], U256::ZERO)?;
                (Some(d.address), d.code_size, d.gas_used)
            }
            None => (None, 0, 0),
        };
        let args = data
            .map(|a| {
                let mut w = [0u8; 32];
                w[12..].copy_from_slice(a.as_slice());
                w.to_vec()
            })
            .unwrap_or_default();
        let v = chain.deploy(from, &self.creation, &args, U256::ZERO)?;
        gas += v.gas_used;
        Ok(DeployedVerifier {
            address: v.address,
            data,
            verifier_size: v.code_size,
            data_size,
            deploy_gas: gas,
        })
    }
}

/// A verifier on a chain.
#[derive(Debug, Clone)]
pub struct DeployedVerifier {
    /// The verifier's address (call it with [`encode_calldata`]).
    pub address: Address,
    /// The data contract's address, for [`Layout::Split`].
    pub data: Option<Address>,
    /// The verifier's runtime code size.
    pub verifier_size: usize,
    /// The data contract's runtime code size (0 without one).
    pub data_size: usize,
    /// Gas of both deployments.
    pub deploy_gas: u64,
}

impl DeployedVerifier {
    /// Calls the verifier with `calldata` from `from`: success means the proof verified.
    pub fn verify(
        &self,
        chain: &mut Chain,
        from: Address,
        calldata: &[u8],
    ) -> Result<Outcome, ChainError> {
        chain.call(from, self.address, calldata, U256::ZERO)
    }
}

/// Generates, lays out and compiles the verifier of a model.
pub fn build(
    art: &VerifierArtifacts,
    layout: Layout,
    solc: &Solc,
) -> Result<CompiledVerifier, BuildError> {
    let generated = generate(art)?;
    let laid_out = lay_out(&generated, layout)?;
    // The optimiser stays off: on, solc runs out of stack slots in the generated assembly.
    let out = solc.compile(
        &[Source::solidity(
            "Halo2Verifier.sol",
            laid_out.solidity.clone(),
        )],
        Optimizer::Off,
    )?;
    let c = out.contract(VERIFIER_CONTRACT)?;
    Ok(CompiledVerifier {
        abi: c.abi.clone(),
        creation: c.creation.clone(),
        deployed: c.deployed.clone(),
        solc_version: out.version.clone(),
        num_instances: generated.num_instances,
        laid_out,
    })
}

/// Why a proof file gives no calldata.
#[derive(Debug, Error)]
pub enum CalldataError {
    /// The proof file's proof is not hex.
    #[error(transparent)]
    File(#[from] VerifyError),
    /// An instance is not a field element in hex.
    #[error("instance {index} of the proof file is not a field element: '{value}'")]
    Instance {
        /// Which.
        index: usize,
        /// Its text.
        value: String,
    },
}

/// The instances a proof file states (inputs, outputs, settings digest, binding value).
pub fn proof_file_instances(p: &ProofFile) -> Result<Vec<Fr>, CalldataError> {
    p.instances
        .iter()
        .enumerate()
        .map(|(index, h)| {
            fr_from_hex(h).ok_or_else(|| CalldataError::Instance {
                index,
                value: h.clone(),
            })
        })
        .collect()
}

/// The verifier's calldata for a proof file: [`encode_calldata`] of its instances and proof bytes.
pub fn proof_file_calldata(p: &ProofFile, file: &str) -> Result<Vec<u8>, CalldataError> {
    Ok(encode_calldata(
        &proof_file_instances(p)?,
        &p.proof_bytes(file)?,
    ))
}
