//! The Solidity verifier of a model: snark-verifier's EVM code generator (`EvmLoader`) run over the model's
//! verifying key, for KZG on BN254 with SHPLONK multi-openings and the EVM transcript (Keccak, uncompressed
//! points), and the calldata it reads.
//!
//! The generator is the vendored, patched snark-verifier (vendor/snark-verifier/ZKINFER-PATCH.md): it reads the
//! public instances and evaluates the instance polynomial in Yul loops, and runs each MSM term as one call of
//! a shared Yul function, so the verifier's code does not grow with the instance count and grows less with
//! the columns.

use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr};
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use snark_verifier::loader::evm::EvmLoader;
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs, KzgDecidingKey};
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier::verifier::plonk::PlonkVerifier;
use snark_verifier::verifier::SnarkVerifier;
use std::rc::Rc;
use thiserror::Error;
use zkinfer_verifier::VerifierArtifacts;

/// SHPLONK (BDFG21) as a KZG accumulation scheme: the multi-opening the project's proofs use.
type Shplonk = KzgAs<Bn256, Bdfg21>;

/// Why no verifier could be generated.
#[derive(Debug, Error)]
pub enum GenerateError {
    /// The verifying key and the params disagree (different `k`).
    #[error("the verifying key is for k = {vk_k}, the verifier params for k = {params_k}")]
    K {
        /// The vk's k.
        vk_k: u32,
        /// The params' k.
        params_k: u32,
    },
    /// snark-verifier's generator failed.
    #[error("snark-verifier could not generate the verifier: {what}")]
    Generator {
        /// Its message.
        what: String,
    },
}

/// The generated verifier: Solidity whose `fallback` is one assembly block, reading calldata
/// [`encode_calldata`] and returning nothing on success, reverting otherwise (also on any instance or proof
/// scalar word `>= r` and on calldata longer or shorter than the instances and the proof).
#[derive(Debug, Clone)]
pub struct GeneratedVerifier {
    /// The Solidity source of contract `Halo2Verifier`, every constant inline.
    pub solidity: String,
    /// How many public instances it reads.
    pub num_instances: usize,
    /// The end of the memory the program uses: every address it reads or writes is below it (the
    /// generator's allocation pointer once the program is written). [`crate::layout`] puts the split
    /// layout's constants above it.
    pub memory_end: usize,
}

/// Runs snark-verifier's generator over a model's verifier artifacts (settings, vk, params).
pub fn generate(art: &VerifierArtifacts) -> Result<GeneratedVerifier, GenerateError> {
    let params = &art.params.params;
    let vk_k = art.vk.get_domain().k();
    if vk_k != params.k() {
        return Err(GenerateError::K {
            vk_k,
            params_k: params.k(),
        });
    }
    let num_instances = art.settings.num_instances();
    let protocol = compile(
        params,
        &art.vk,
        Config::kzg().with_num_instance(vec![num_instances]),
    );
    let dk: KzgDecidingKey<Bn256> =
        KzgDecidingKey::new(params.get_g()[0], params.g2(), params.s_g2());
    let loader = EvmLoader::new::<Fq, Fr>();
    let protocol = protocol.loaded(&loader);
    let mut transcript = EvmTranscript::<_, Rc<EvmLoader>, _, _>::new(&loader);
    let instances = transcript.load_instances(vec![num_instances]);
    let proof = PlonkVerifier::<Shplonk>::read_proof(&dk, &protocol, &instances, &mut transcript)
        .map_err(|e| GenerateError::Generator {
        what: format!("{e:?}"),
    })?;
    // no bytes after the proof: one calldata per statement and proof
    transcript.require_exact_calldata_size();
    PlonkVerifier::<Shplonk>::verify(&dk, &protocol, &instances, &proof).map_err(|e| {
        GenerateError::Generator {
            what: format!("{e:?}"),
        }
    })?;
    let solidity = loader.solidity_code();
    // every buffer the program reads or writes is allocated from this pointer (MEM_PTR_START upwards):
    // allocating nothing returns where the next allocation would start, the end of the memory it uses
    let memory_end = loader.allocate(0);
    Ok(GeneratedVerifier {
        solidity,
        num_instances,
        memory_end,
    })
}

/// The calldata the verifier reads: every public instance as a 32-byte big-endian word, in the statement's
/// order (inputs, outputs, settings digest, binding value), then the proof bytes as they are (an EVM-transcript
/// proof). A pure function: the escrow contract's callers build the same bytes.
pub fn encode_calldata(instances: &[Fr], proof: &[u8]) -> Vec<u8> {
    snark_verifier::loader::evm::encode_calldata(&[instances.to_vec()], proof)
}
