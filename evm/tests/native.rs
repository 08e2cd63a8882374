//! snark-verifier's own native verifier (the vendored, patched copy: its instance evaluation takes the
//! unrolled default path of `sum_lagrange_products`) accepts the EVM-transcript proof the prover's pipeline
//! makes, and refuses it with a tampered instance: the cross-check of the Solidity verifier's arithmetic on a
//! model with many public instances.

mod common;

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::poly::commitment::ParamsProver;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs, KzgDecidingKey};
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier::verifier::plonk::PlonkVerifier;
use snark_verifier::verifier::SnarkVerifier;
use zkinfer_verifier::VerifierArtifacts;

type Shplonk = PlonkVerifier<KzgAs<Bn256, Bdfg21>>;

fn native_verifies(art: &VerifierArtifacts, instances: &[Fr], proof: &[u8]) -> bool {
    let params = &art.params.params;
    let protocol = compile(
        params,
        &art.vk,
        Config::kzg().with_num_instance(vec![instances.len()]),
    );
    let dk: KzgDecidingKey<Bn256> = (params.get_g()[0], params.g2(), params.s_g2()).into();
    let instances = vec![instances.to_vec()];
    let mut t = EvmTranscript::<G1Affine, NativeLoader, _, _>::new(proof);
    match Shplonk::read_proof(&dk, &protocol, &instances, &mut t) {
        Ok(read) => Shplonk::verify(&dk, &protocol, &instances, &read).is_ok(),
        Err(_) => false,
    }
}

#[test]
fn snark_verifiers_native_verifier_agrees() {
    let (_tmp, md, input) = common::model_dir("testdata/cnn_conv_pool_sigmoid", 0);
    let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
    let (instances, proof) = common::evm_proof(&md, &input, Fr::from(7u64));
    assert!(instances.len() > 100);
    assert!(native_verifies(&art, &instances, &proof));
    for index in [0, instances.len() / 2, instances.len() - 1] {
        let mut bad = instances.clone();
        bad[index] += Fr::one();
        assert!(!native_verifies(&art, &bad, &proof), "instance {index}");
    }
}
