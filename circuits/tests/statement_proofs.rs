//! Real proofs (KZG + SHPLONK over BN254, Blake2b transcript, a deterministic development SRS) of what the
//! statement covers that `MockProver` cannot show: the verifier's own instance vector decides, so a proof
//! made with an extra non-zero instance row, another binding value, or for edited settings fails.

use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, ProvingKey, VerifyingKey,
};
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{
    Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
};
use halo2_proofs::SerdeFormat;
use rand::SeedableRng;
use std::sync::{Arc, OnceLock};
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::compile::{compile_graph, CompileOptions};
use zkinfer_circuits::graph::{Dense, Graph, Op, Relu};
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::witness::{generate, Witness};
use zkinfer_circuits::Fr;

/// input x[1,4] -> Dense(4->3) + Relu -> Dense(3->2) -> y.
fn graph() -> Graph {
    let mut g = Graph::new("small");
    let x = g.add_input("x", vec![1, 4]);
    let d1 = Dense {
        in_features: 4,
        out_features: 3,
        weight: (0..12).map(|i| ((i * 7 % 11) as f32 - 5.0) / 8.0).collect(),
        bias: vec![0.1, -0.2, 0.3],
    };
    let h = g
        .add_node("fc1", "Gemm", Op::Dense(d1), vec![x], "h")
        .expect("fc1");
    let r = g
        .add_node("relu", "Relu", Op::Relu(Relu), vec![h], "r")
        .expect("relu");
    let d2 = Dense {
        in_features: 3,
        out_features: 2,
        weight: vec![0.5, -0.75, 0.25, 1.0, 0.5, -0.5],
        bias: vec![0.0, 0.25],
    };
    let y = g
        .add_node("fc2", "Gemm", Op::Dense(d2), vec![r], "y")
        .expect("fc2");
    g.outputs = vec![y];
    g
}

const INPUT: [f64; 4] = [0.5, -0.25, 0.75, -1.0];

struct Keys {
    settings: Settings,
    model: Arc<CompiledModel>,
    params: ParamsKZG<Bn256>,
    pk: ProvingKey<G1Affine>,
    witness: Witness,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let samples = vec![vec![INPUT.to_vec()], vec![vec![-0.9, 1.0, -0.5, 0.3]]];
        let c = compile_graph(graph(), &samples, &CompileOptions::default()).expect("compiles");
        let settings = c.settings;
        let model = Arc::new(CompiledModel::new(c.quant, &settings).expect("plans"));
        let params =
            ParamsKZG::<Bn256>::setup(settings.k, rand_chacha::ChaCha20Rng::seed_from_u64(13));
        let circuit = ModelCircuit::for_keygen(settings.clone(), model.clone());
        let vk = keygen_vk(&params, &circuit).expect("vk");
        let pk = keygen_pk(&params, vk, &circuit).expect("pk");
        let witness = generate(&model.quant, &model.plan, &[INPUT.to_vec()]).expect("witness");
        Keys {
            settings,
            model,
            params,
            pk,
            witness,
        }
    })
}

/// A proof of `witness` with the given public instances (the circuit's own, or a tampered vector).
fn prove(k: &Keys, witness: Witness, instances: &[Fr]) -> Vec<u8> {
    let circuit =
        ModelCircuit::with_witness(k.settings.clone(), k.model.clone(), Arc::new(witness));
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        &k.params,
        &k.pk,
        &[circuit],
        &[&[instances]],
        rand_chacha::ChaCha20Rng::seed_from_u64(1),
        &mut transcript,
    )
    .expect("proves");
    transcript.finalize()
}

/// Whether `proof` verifies against `vk` for exactly `instances`.
fn verifies(k: &Keys, vk: &VerifyingKey<G1Affine>, instances: &[Fr], proof: &[u8]) -> bool {
    let mut rest = proof;
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        k.params.verifier_params(),
        vk,
        SingleStrategy::new(&k.params),
        &[&[instances]],
        &mut Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&mut rest),
    )
    .is_ok()
        && rest.is_empty()
}

/// The instances a verifier builds: the stored inputs and outputs, the digest of the settings it reads,
/// then the binding value it expects.
fn expected(k: &Keys, settings: &Settings, bind: Fr) -> Vec<Fr> {
    let mut v = k.witness.field_instances();
    v.truncate(v.len() - 2);
    v.push(settings.digest());
    v.push(bind);
    v
}

#[test]
fn an_honest_proof_verifies_with_the_settings_digest() {
    let k = keys();
    let inst = k.witness.field_instances();
    assert_eq!(inst, expected(k, &k.settings, Fr::zero()));
    let proof = prove(k, k.witness.clone(), &inst);
    assert!(verifies(k, k.pk.get_vk(), &inst, &proof));
}

#[test]
fn a_nonzero_binding_value_fails_where_the_verifier_expects_zero() {
    let k = keys();
    let bound = k.witness.clone().with_bind(Fr::from(0xB1D_u64));
    let inst = bound.field_instances();
    let proof = prove(k, bound, &inst);
    assert!(
        verifies(k, k.pk.get_vk(), &inst, &proof),
        "valid for its own bind"
    );
    let zero = expected(k, &k.settings, Fr::zero());
    assert!(!verifies(k, k.pk.get_vk(), &zero, &proof));
}

#[test]
fn a_nonzero_value_on_an_unused_instance_row_fails() {
    let k = keys();
    // one instance row past the statement, non-zero: MockProver never reads unconstrained instance rows,
    // but the prover absorbs every instance value into the transcript
    let mut longer = k.witness.field_instances();
    longer.push(Fr::from(7u64));
    let proof = prove(k, k.witness.clone(), &longer);
    assert!(
        verifies(k, k.pk.get_vk(), &longer, &proof),
        "valid for its own vector"
    );
    let expect = expected(k, &k.settings, Fr::zero());
    assert!(!verifies(k, k.pk.get_vk(), &expect, &proof));
    // nor with the extra row read as zero
    let mut padded = expect.clone();
    padded.push(Fr::zero());
    assert!(!verifies(k, k.pk.get_vk(), &padded, &proof));
}

#[test]
fn an_edited_settings_file_no_longer_verifies() {
    let k = keys();
    let inst = k.witness.field_instances();
    let proof = prove(k, k.witness.clone(), &inst);
    // an output scale lowered by one (every output would read doubled), with a vk read for the edited
    // settings: the constraint system is the same, so the vk bytes read back unchanged
    let mut edited = k.settings.clone();
    edited.outputs[0].encoding.scale -= 1;
    let bytes = k.pk.get_vk().to_bytes(SerdeFormat::Processed);
    let vk = VerifyingKey::<G1Affine>::read::<_, ModelCircuit>(
        &mut &bytes[..],
        SerdeFormat::Processed,
        edited.clone(),
    )
    .expect("the edited settings configure the same constraint system");
    assert_eq!(vk.to_bytes(SerdeFormat::Processed), bytes);
    // the stored outputs are the same integers; only the digest the verifier computes differs, and that
    // alone rejects the proof
    assert!(verifies(
        k,
        &vk,
        &expected(k, &k.settings, Fr::zero()),
        &proof
    ));
    assert!(!verifies(k, &vk, &expected(k, &edited, Fr::zero()), &proof));
}
