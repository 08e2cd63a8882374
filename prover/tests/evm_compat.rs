//! Compatibility with snark-verifier 0.2.7, whose Solidity verifiers read EVM-transcript proofs: its own
//! `EvmTranscript` squeezes the same challenges and writes the same bytes as ours, and its native PLONK
//! verifier (the code the Solidity verifier is generated from) accepts zkinfer's EVM proof of a bundled model.

mod common;

use common::{compile_and_setup, models};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::transcript::{
    EncodedChallenge, Transcript, TranscriptWrite, TranscriptWriterBuffer,
};
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs, KzgDecidingKey};
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier::verifier::{plonk::PlonkVerifier, SnarkVerifier};
use zkinfer_prover::pipeline::{self, ProveOptions};
use zkinfer_prover::TranscriptKind;
use zkinfer_verifier::evm_transcript::EvmTranscriptWrite;

type Shplonk = PlonkVerifier<KzgAs<Bn256, Bdfg21>>;

#[test]
fn same_bytes_and_challenges_as_snark_verifiers_transcript() {
    let mut ours = EvmTranscriptWrite::new(Vec::new());
    let mut theirs = EvmTranscript::<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>::new(Vec::new());
    let g = G1Affine::generator();
    let mut p = g;
    for i in 0..20u64 {
        let s = Fr::from(i * 7919 + 1) * Fr::from(u64::MAX);
        p = (p + g * s).into();
        match i % 5 {
            0 => {
                ours.common_scalar(s).expect("ours");
                Transcript::<G1Affine, _>::common_scalar(&mut theirs, s).expect("theirs");
            }
            1 => {
                ours.write_point(p).expect("ours");
                TranscriptWrite::<G1Affine, _>::write_point(&mut theirs, p).expect("theirs");
            }
            2 | 3 => {
                ours.write_scalar(s).expect("ours");
                TranscriptWrite::<G1Affine, _>::write_scalar(&mut theirs, s).expect("theirs");
            }
            _ => {}
        }
        // squeeze after every step, twice in a row sometimes (the 32-byte buffer case)
        for _ in 0..=(i % 2) {
            let a = Transcript::<G1Affine, _>::squeeze_challenge(&mut ours).get_scalar();
            let b = Transcript::<G1Affine, _>::squeeze_challenge(&mut theirs).get_scalar();
            assert_eq!(a, b, "challenge after step {i}");
        }
    }
    assert_eq!(
        TranscriptWriterBuffer::<_, G1Affine, _>::finalize(ours),
        TranscriptWriterBuffer::<_, G1Affine, _>::finalize(theirs)
    );
}

#[test]
fn snark_verifiers_native_verifier_accepts_our_evm_proof() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = compile_and_setup(&models().join("iris_mlp"), &tmp.path().join("iris"));
    let (settings, settings_bytes) = md.settings().expect("settings");
    let inputs =
        pipeline::read_input(&models().join("iris_mlp/input.json"), &settings).expect("input");
    let options = ProveOptions {
        transcript: TranscriptKind::Evm,
        ..ProveOptions::default()
    };
    let p = pipeline::prove_with(&md, &inputs, &options).expect("prove");
    let proof = p.proof.proof_bytes("p").expect("hex");
    let instances: Vec<Fr> = p
        .proof
        .instances
        .iter()
        .map(|h| zkinfer_circuits::field::fr_from_hex(h).expect("fr"))
        .collect();
    let params = md.params(settings.k).expect("params");
    let model = std::sync::Arc::new(md.compiled_model(&settings).expect("model"));
    let pk = md
        .proving_key(&settings, &settings_bytes, &params, &model)
        .expect("pk");
    let protocol = compile(
        &params,
        pk.get_vk(),
        Config::kzg().with_num_instance(vec![instances.len()]),
    );
    let dk: KzgDecidingKey<Bn256> = (params.get_g()[0], params.g2(), params.s_g2()).into();
    let instances = vec![instances];
    let mut t = EvmTranscript::<G1Affine, NativeLoader, _, _>::new(proof.as_slice());
    let read = Shplonk::read_proof(&dk, &protocol, &instances, &mut t).expect("read");
    Shplonk::verify(&dk, &protocol, &instances, &read).expect("snark-verifier accepts it");
    // and refuses it for another output
    let mut other = instances.clone();
    let last_output = other[0].len() - 3;
    other[0][last_output] += Fr::one();
    let mut t = EvmTranscript::<G1Affine, NativeLoader, _, _>::new(proof.as_slice());
    let read = Shplonk::read_proof(&dk, &protocol, &other, &mut t).expect("read");
    assert!(Shplonk::verify(&dk, &protocol, &other, &read).is_err());
}
