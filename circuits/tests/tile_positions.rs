//! The multiply-accumulate tile with position lanes (`tile_positions` = P): P output positions of a
//! convolution share one row and its fixed weights. A 1-D convolution (6 positions, 4 taps with padding at
//! both ends, 3 channels) on a 2x2 tile with P = 4, so a chain's rows hold 4 positions, the last chain two
//! real positions and two spare lanes, and padded taps sit in columns whose weights other lanes use.
//!
//! MockProver: a correct witness passes; a wrong product in lane 1 fails exactly that lane's constraint
//! (`acc[1][k]`) on its row; a value smuggled into a padded slot (whose weights are not 0) fails its copy
//! from the settings row's zero. Real keys: the P = 4 layout proves and verifies, and its outputs are the
//! P = 1 layout's integers.

use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof};
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{
    Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
};
use rand::SeedableRng;
use std::sync::{Arc, OnceLock};
use zkinfer_circuits::chips::mac_tile::mac_lane_constraint;
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::compile::{compile_graph, CompileOptions, CompiledGraph};
use zkinfer_circuits::dev::{assert_fails_with, Expected, MockModel, TileCell};
use zkinfer_circuits::graph::{Dense, Graph, Linear, Matrix, Op, Position, Relu};
use zkinfer_circuits::layout::Src;
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::witness::{generate, Witness};

/// Tile shape of these tests: B inputs, K outputs, P position lanes.
const B: usize = 2;
const K: usize = 2;
const P: usize = 4;
/// Positions, taps and channels of the convolution; input length.
const POSITIONS: usize = 6;
const TAPS: usize = 4;
const CHANNELS: usize = 3;
const LEN: usize = 12;

/// x[1, 12] -> 1-D convolution (kernel 4, stride 2, padding 1: 6 positions, 3 channels) + Relu -> y.
fn graph() -> Graph {
    let mut g = Graph::new("conv1d");
    let x = g.add_input("x", vec![1, LEN]);
    let lin = Linear {
        out_shape: vec![1, CHANNELS * POSITIONS],
        matrices: vec![Matrix {
            outs: CHANNELS,
            taps: TAPS,
            w: (0..CHANNELS * TAPS)
                .map(|i| ((i * 7 % 11) as f32 - 5.0) / 6.0)
                .collect(),
        }],
        positions: (0..POSITIONS)
            .map(|p| Position {
                patch: (0..TAPS)
                    .map(|t| {
                        let at = (2 * p + t) as i64 - 1;
                        (0..LEN as i64).contains(&at).then_some(at as u32)
                    })
                    .collect(),
                matrix: 0,
                outs: (0..CHANNELS).map(|k| (k * POSITIONS + p) as u32).collect(),
            })
            .collect(),
        bias: (0..CHANNELS * POSITIONS)
            .map(|i| 0.1 * (i % 3) as f32)
            .collect(),
    };
    let h = g
        .add_node("conv", "Conv", Op::Linear(lin), vec![x], "h")
        .expect("conv");
    let y = g
        .add_node("relu", "Relu", Op::Relu(Relu), vec![h], "y")
        .expect("relu");
    g.outputs = vec![y];
    g
}

fn input() -> Vec<f64> {
    (0..LEN)
        .map(|i| ((i * 5 % 13) as f64 - 6.0) / 6.0)
        .collect()
}

fn compiled() -> &'static CompiledGraph {
    static C: OnceLock<CompiledGraph> = OnceLock::new();
    C.get_or_init(|| {
        let samples = vec![vec![input()], vec![input().iter().map(|v| -v).collect()]];
        // affine lanes: the tampering tests recompute a rescale lane's `q`, `r` and `z`, not limbs
        let opts = CompileOptions {
            limbs: false,
            ..CompileOptions::default()
        };
        compile_graph(graph(), &samples, &opts).expect("compiles")
    })
}

/// The compiled model on a B x K tile with `positions` position lanes.
fn with_positions(positions: usize) -> (Settings, Arc<CompiledModel>) {
    let c = compiled();
    let mut settings = c.settings.clone();
    settings.layout.tile_inputs = B;
    settings.layout.tile_outputs = K;
    settings.layout.tile_positions = positions;
    let model = Arc::new(CompiledModel::new(c.quant.clone(), &settings).expect("plans"));
    (settings, model)
}

fn build() -> &'static (MockModel, Witness) {
    static BUILT: OnceLock<(MockModel, Witness)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let (settings, model) = with_positions(P);
        let witness = generate(&model.quant, &model.plan, &[input()]).expect("witness");
        (MockModel::new(settings, model), witness)
    })
}

/// The rescale lane row reading running sum `k` (`p * K + k'`) of tile row `row`.
fn rescale_lane(m: &MockModel, row: usize, k: usize) -> usize {
    let src = Src::TileAcc {
        row: row as u32,
        k: k as u16,
    };
    m.plan()
        .lane_rows
        .iter()
        .position(|l| l.a == src)
        .expect("a lane reads the running sum")
}

/// Sets the `a` of a rescale lane row and recomputes its `q`, `r` and `z`.
fn set_lane_a(m: &MockModel, t: &mut Witness, lane: usize, a: i128) {
    let row = &m.plan().lane_rows[lane];
    let bits = m.settings().layout.value_bits();
    let sum = a * row.m_a as i128 + row.c as i128;
    let q = sum.div_euclid(1 << bits);
    let kind = m.settings().tables[row.act_tag as usize - 1];
    let (z, saturated) = kind.apply_checked(q as i64, bits);
    assert!(!saturated && (0..1 << bits).contains(&q), "q = {q}");
    let v = &mut t.lanes[lane];
    (v.a, v.q, v.r, v.z) = (a, q, sum.rem_euclid(1 << bits), z as i128);
}

/// Tile rows per chain (one group of K outputs): ceil(taps / B).
const ROWS: usize = TAPS.div_ceil(B);

/// The last tile row of group `g` of chain `c`.
fn last_row(c: usize, g: usize) -> usize {
    (c * CHANNELS.div_ceil(K) + g) * ROWS + ROWS - 1
}

#[test]
fn positions_sharing_a_matrix_share_tile_rows_and_pass() {
    let (m, w) = build();
    let plan = m.plan();
    // 6 positions in chains of 4: 2 chains, 2 groups of K outputs, 2 rows of B taps
    assert_eq!(
        plan.tile_rows.len(),
        POSITIONS.div_ceil(P) * CHANNELS.div_ceil(K) * ROWS
    );
    let (_, one) = with_positions(1);
    assert_eq!(
        one.plan.tile_rows.len(),
        POSITIONS * CHANNELS.div_ceil(K) * ROWS
    );
    // position 0's first tap is padding, fed by the settings row's zero since lane 1 uses its weights
    let first = &plan.tile_rows[0];
    assert_eq!(first.x[0], Some(plan.settings_lane));
    assert!(first.x[B].is_some_and(|l| l != plan.settings_lane));
    // the last chain's spare lanes hold nothing but zeros
    let spare = &plan.tile_rows[last_row(1, 0)];
    assert!(spare.x[2 * B..]
        .iter()
        .all(|s| s.is_none() || *s == Some(plan.settings_lane)));
    assert_eq!(m.verify(w.clone()), Ok(()));
    for i in 0..plan.tile_rows.len() {
        assert_eq!(m.tile_failures(w, i), vec![], "tile row {i}");
    }
    let float = graph().eval_float(&[input()]).expect("float");
    let spec = &m.settings().outputs[0];
    for (i, (&q, &f)) in w
        .output_values(plan)
        .iter()
        .zip(&float[graph().outputs[0]])
        .enumerate()
    {
        let a = spec.encoding.dequantise(q as i64);
        assert!((a - f).abs() <= 0.05, "output {i}: {a} vs {f}");
    }
}

#[test]
fn the_position_lanes_give_the_integers_of_one_position_per_row() {
    let (m, w) = build();
    let (_, one) = with_positions(1);
    let w1 = generate(&one.quant, &one.plan, &[input()]).expect("witness");
    assert_eq!(w.output_values(m.plan()), w1.output_values(&one.plan));
}

#[test]
fn wrong_product_in_lane_one_fails_that_lanes_constraint() {
    // lane 1 of the first chain (position 1), output 1 of group 0, claims a sum 2^b off on the chain's last
    // row; its rescale lane follows it consistently, so only that lane's constraint on that row objects
    let (m, w) = build();
    let (row, k) = (last_row(0, 0), K + 1);
    let lane = rescale_lane(m, row, k);
    let mut t = w.clone();
    let step = 1i128 << m.settings().layout.value_bits();
    t.tiles[row].acc[k] += match t.lanes[lane].q > 0 {
        true => -step,
        false => step,
    };
    let acc = t.tiles[row].acc[k];
    set_lane_a(m, &mut t, lane, acc);
    assert_eq!(m.lane_failures(&t, lane), vec![]);
    let expected = m.tile_failures(&t, row);
    assert_eq!(expected, vec![m.tile_gate(row, k)]);
    assert_eq!(mac_lane_constraint(1, 1), "acc[1][1]");
    assert!(
        matches!(&expected[0], Expected::Constraint { constraint, .. }
            if format!("{constraint:?}").contains("acc[1][1]")),
        "{}",
        expected[0]
    );
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn a_value_in_a_padded_slot_fails_its_copy_from_zero() {
    // position 5 (lane 1 of the second chain) has padding at its last tap (row 1 of the chain, slot t = 1),
    // where lane 0 (position 4) has an element, so the column's weights are not 0: a value put there, with
    // the running sums and rescale lanes recomputed from it, is caught by the copy alone
    let (m, w) = build();
    let plan = m.plan();
    let row = last_row(1, 0);
    let slot = B + 1;
    assert_eq!(plan.tile_rows[row].x[slot], Some(plan.settings_lane));
    let mut t = w.clone();
    t.tiles[row].x[slot] = 1;
    for k in 0..K {
        let wk = plan.tile_rows[row].w[k * B + 1] as i128;
        assert!(k > 0 || wk != 0, "the slot's weights are used");
        t.tiles[row].acc[K + k] += wk;
        let acc = t.tiles[row].acc[K + k];
        set_lane_a(m, &mut t, rescale_lane(m, row, K + k), acc);
    }
    assert_eq!(m.tile_failures(&t, row), vec![]);
    assert_fails_with(m.verify(t), &[m.tile_copy(row, TileCell::X(slot))]);
}

#[test]
fn the_position_lanes_prove_and_verify_with_real_keys() {
    let (settings, model) = with_positions(P);
    let params = ParamsKZG::<Bn256>::setup(settings.k, rand_chacha::ChaCha20Rng::seed_from_u64(5));
    let circuit = ModelCircuit::for_keygen(settings.clone(), model.clone());
    let vk = keygen_vk(&params, &circuit).expect("vk");
    let pk = keygen_pk(&params, vk, &circuit).expect("pk");
    let witness = generate(&model.quant, &model.plan, &[input()]).expect("witness");
    let instances = witness.field_instances();
    let circuit = ModelCircuit::with_witness(settings, model, Arc::new(witness));
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        &params,
        &pk,
        &[circuit],
        &[&[&instances]],
        rand_chacha::ChaCha20Rng::seed_from_u64(1),
        &mut transcript,
    )
    .expect("proves");
    let proof = transcript.finalize();
    let verify = |inst: &[_]| {
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
            params.verifier_params(),
            pk.get_vk(),
            SingleStrategy::new(&params),
            &[&[inst]],
            &mut Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&proof[..]),
        )
        .is_ok()
    };
    assert!(verify(&instances));
    // another output value does not verify
    let mut wrong = instances.clone();
    wrong[LEN] += zkinfer_circuits::Fr::one();
    assert!(!verify(&wrong));
}

/// x[3, 5] -> Dense(5 -> 4) on each of its 3 leading rows, + Relu -> y: the rows share the weight matrix.
fn dense_graph() -> Graph {
    let mut g = Graph::new("dense_rows");
    let x = g.add_input("x", vec![3, 5]);
    let d = Dense {
        in_features: 5,
        out_features: 4,
        weight: (0..20).map(|i| ((i * 7 % 11) as f32 - 5.0) / 8.0).collect(),
        bias: vec![0.1, -0.2, 0.3, 0.0],
    };
    let h = g
        .add_node("fc", "Gemm", Op::Dense(d), vec![x], "h")
        .expect("fc");
    let y = g
        .add_node("relu", "Relu", Op::Relu(Relu), vec![h], "y")
        .expect("relu");
    g.outputs = vec![y];
    g
}

#[test]
fn the_leading_rows_of_a_dense_layer_share_tile_rows() {
    let x: Vec<f64> = (0..15).map(|i| ((i * 4 % 9) as f64 - 4.0) / 4.0).collect();
    let samples = vec![vec![x.clone()], vec![x.iter().map(|v| -v).collect()]];
    let c = compile_graph(dense_graph(), &samples, &CompileOptions::default()).expect("compiles");
    let mut outputs = Vec::new();
    for positions in [1, 2] {
        let mut settings = c.settings.clone();
        settings.layout.tile_inputs = B;
        settings.layout.tile_outputs = K;
        settings.layout.tile_positions = positions;
        let model = Arc::new(CompiledModel::new(c.quant.clone(), &settings).expect("plans"));
        let w = generate(&model.quant, &model.plan, std::slice::from_ref(&x)).expect("witness");
        // 3 rows, P at a time (the last chain of P = 2 has a spare lane), 2 groups of K, 3 rows of B
        assert_eq!(
            model.plan.tile_rows.len(),
            3usize.div_ceil(positions) * 2 * 3
        );
        outputs.push(w.output_values(&model.plan));
        let m = MockModel::new(settings, model);
        assert_eq!(m.verify(w), Ok(()), "P = {positions}");
    }
    assert_eq!(outputs[0], outputs[1]);
}
