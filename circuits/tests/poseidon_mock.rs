//! MockProver tests of the Poseidon chip (`chips::poseidon`) in a small circuit of its own: a region with
//! "model" value cells (the cells a commitment stands for) copied into a commitment, whose cell is copied
//! to the public instance; or one bare permutation whose output is public.
//! - the chip's permutation equals the native one for every width, and its commitment the native
//!   commitment for several widths and lengths (width 6: `poseidon::commit`, the spec);
//! - a tampered state or square cell fails exactly the round gate's constraints that read it, at its row;
//! - value cells that differ from the committed values fail the packing gate;
//! - a commitment cell that is not the native commitment of the values is refused (the instance copy);
//! - every gate has degree <= 5, and the rows per permutation and per committed value are as documented.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::dev::metadata::{Column as ColumnMeta, Constraint, Gate, Region};
use halo2_proofs::dev::{FailureLocation, MockProver, VerifyFailure};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::{Advice, Any, Circuit, Column, ConstraintSystem, Error, Instance};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkinfer_circuits::chips::poseidon::{
    PackOffset, PoseidonChip, PoseidonConfig, PoseidonLayout, FULL_ROUND_GATE, MIX_CONSTRAINT,
    PACK_CONSTRAINT, PACK_GATE, PARTIAL_ROUNDS_GATE, SBOX_CONSTRAINT, SQUARE_CONSTRAINT,
};
use zkinfer_circuits::degree::{degrees, over_max_degree};
use zkinfer_circuits::dev::{assert_fails_with, Expected};
use zkinfer_circuits::field::fr_from_i128;
use zkinfer_circuits::poseidon::commitment::{
    chain_hash, commitment_elements, COMMIT_WIDTH, MAX_VALUE, MIN_VALUE, VALUES_PER_ELEMENT,
};
use zkinfer_circuits::poseidon::{commit, params, permute, signed_to_committed, SIGNED_OFFSET};
use zkinfer_circuits::Fr;

const REGION: &str = "poseidon";

/// A cell the test overwrites after the chip assigned it.
#[derive(Debug, Clone, Copy)]
enum Target {
    State(usize),
    Work(usize),
}

#[derive(Debug, Clone)]
enum Job {
    /// One permutation of this input; its output state is public.
    Permutation(Vec<Fr>),
    /// A commitment to `committed` under `salt`, whose value cells are copied from `model` cells.
    Commitment {
        salt: Fr,
        committed: Vec<i128>,
        model: Vec<i128>,
        offset: PackOffset,
    },
}

/// The chip's width and layout (the test circuit's parameters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Shape {
    width: usize,
    layout: PoseidonLayout,
}

const LAYOUTS: [PoseidonLayout; 2] = [PoseidonLayout::Wide, PoseidonLayout::Narrow];

fn shape(width: usize, layout: PoseidonLayout) -> Shape {
    Shape { width, layout }
}

#[derive(Debug, Clone)]
struct TestCircuit {
    shape: Shape,
    job: Job,
    overrides: Vec<(Target, usize, Fr)>,
}

#[derive(Debug, Clone)]
struct TestConfig {
    poseidon: PoseidonConfig,
    model: Column<Advice>,
    instance: Column<Instance>,
}

impl Circuit<Fr> for TestCircuit {
    type Config = TestConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = Shape;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn params(&self) -> Shape {
        self.shape
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: Shape) -> TestConfig {
        let params = params(shape.width).expect("a supported width");
        let constants = meta.fixed_column();
        let poseidon = PoseidonConfig::configure(meta, params, shape.layout, constants);
        let model = meta.advice_column();
        meta.enable_equality(model);
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        TestConfig {
            poseidon,
            model,
            instance,
        }
    }

    fn configure(_: &mut ConstraintSystem<Fr>) -> TestConfig {
        unreachable!("configure_with_params")
    }

    fn synthesize(&self, config: TestConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let chip = PoseidonChip::construct(config.poseidon.clone());
        let public = layouter.assign_region(
            || REGION,
            |mut region| {
                let public = match &self.job {
                    Job::Permutation(input) => {
                        let input: Vec<_> = input.iter().map(|v| Value::known(*v)).collect();
                        let perm = chip.assign_permutation(&mut region, 0, &input)?;
                        perm.output.iter().map(|c| c.cell).collect()
                    }
                    Job::Commitment {
                        salt,
                        committed,
                        model,
                        offset,
                    } => {
                        let values: Vec<_> = committed
                            .iter()
                            .map(|v| Value::known(fr_from_i128(*v)))
                            .collect();
                        let cells = chip.assign_commitment(
                            &mut region,
                            0,
                            Value::known(*salt),
                            &values,
                            *offset,
                        )?;
                        for (row, (v, cell)) in model.iter().zip(&cells.values).enumerate() {
                            let m = region.assign_advice(
                                config.model,
                                row,
                                Value::known(fr_from_i128(*v)),
                            );
                            region.constrain_equal(m.cell(), cell.cell);
                        }
                        vec![cells.commitment.cell]
                    }
                };
                for (target, row, value) in &self.overrides {
                    let col = match target {
                        Target::State(i) => config.poseidon.state[*i],
                        Target::Work(i) => config.poseidon.work[*i],
                    };
                    region.assign_advice(col, *row, Value::known(*value));
                }
                Ok(public)
            },
        )?;
        for (row, cell) in public.into_iter().enumerate() {
            layouter.constrain_instance(cell, config.instance, row);
        }
        Ok(())
    }
}

const K: u32 = 10;

fn run(circuit: &TestCircuit, instances: Vec<Fr>) -> Result<(), Vec<VerifyFailure>> {
    MockProver::run(K, circuit, vec![instances])
        .expect("MockProver synthesises the circuit")
        .verify()
}

fn commitment_circuit(shape: Shape, salt: Fr, values: &[i128]) -> TestCircuit {
    TestCircuit {
        shape,
        job: Job::Commitment {
            salt,
            committed: values.to_vec(),
            model: values.to_vec(),
            offset: PackOffset::Stored,
        },
        overrides: vec![],
    }
}

/// The native commitment chain of the chip's width (the spec's `commit` at width 6).
fn native_commitment(width: usize, salt: Fr, values: &[i128]) -> Fr {
    let elements = commitment_elements(values, salt).expect("values in range");
    chain_hash(&elements, width - 1).expect("chain")
}

fn random_values(rng: &mut ChaCha20Rng, n: usize) -> Vec<i128> {
    use rand::Rng;
    (0..n)
        .map(|_| rng.gen_range(MIN_VALUE..=MAX_VALUE))
        .collect()
}

fn chip(shape: Shape) -> (PoseidonChip, ConstraintSystem<Fr>) {
    let mut cs = ConstraintSystem::default();
    let config = TestCircuit::configure_with_params(&mut cs, shape);
    (PoseidonChip::construct(config.poseidon), cs)
}

fn gate_index(cs: &ConstraintSystem<Fr>, name: &str) -> usize {
    cs.gates()
        .iter()
        .position(|g| g.name() == name)
        .expect("gate configured")
}

fn constraint_fails(
    shape: Shape,
    gate: &'static str,
    index: usize,
    name: &'static str,
    row: usize,
) -> Expected {
    let (_, cs) = chip(shape);
    Expected::Constraint {
        constraint: Constraint::from((Gate::from((gate_index(&cs, gate), gate)), index, name)),
        location: FailureLocation::InRegion {
            region: Region::from((0, REGION)),
            offset: row,
        },
    }
}

fn instance_copy_fails(shape: Shape, row: usize) -> Expected {
    let mut cs = ConstraintSystem::default();
    let config = TestCircuit::configure_with_params(&mut cs, shape);
    Expected::Permutation {
        column: ColumnMeta::from(Column::<Any>::from(config.instance)),
        location: FailureLocation::OutsideRegion { row },
    }
}

#[test]
fn permutation_matches_native_for_every_width() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for layout in LAYOUTS {
        for width in 2..=13 {
            let input: Vec<Fr> = (0..width).map(|_| Fr::random(&mut rng)).collect();
            let output = permute(params(width).expect("width"), &input).expect("permute");
            let circuit = TestCircuit {
                shape: shape(width, layout),
                job: Job::Permutation(input),
                overrides: vec![],
            };
            assert_eq!(
                run(&circuit, output.clone()),
                Ok(()),
                "{layout:?} width {width}"
            );
            let mut wrong = output;
            wrong[width - 1] += Fr::one();
            assert_fails_with(
                run(&circuit, wrong),
                &[instance_copy_fails(shape(width, layout), width - 1)],
            );
        }
    }
}

#[test]
fn commitment_matches_native_on_random_vectors() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    for layout in LAYOUTS {
        let spec = shape(COMMIT_WIDTH, layout);
        for n in [0usize, 1, 9, 10, 25, 31, 52] {
            let values = random_values(&mut rng, n);
            let salt = Fr::random(&mut rng);
            let expected = commit(&values, salt).expect("commit");
            assert_eq!(native_commitment(COMMIT_WIDTH, salt, &values), expected);
            let circuit = commitment_circuit(spec, salt, &values);
            assert_eq!(run(&circuit, vec![expected]), Ok(()), "{layout:?} n = {n}");
        }
        // signed cells (weights, say), packed with the offset 2^23: the commitment to v + 2^23
        for n in [7usize, 40] {
            let signed: Vec<i128> = random_values(&mut rng, n)
                .iter()
                .map(|u| u - SIGNED_OFFSET)
                .collect();
            let salt = Fr::random(&mut rng);
            let stored: Vec<i128> = signed.iter().map(|v| signed_to_committed(*v)).collect();
            let expected = commit(&stored, salt).expect("commit");
            let mut circuit = commitment_circuit(spec, salt, &signed);
            if let Job::Commitment { offset, .. } = &mut circuit.job {
                *offset = PackOffset::Signed;
            }
            assert_eq!(run(&circuit, vec![expected]), Ok(()), "signed n = {n}");
            // the same cells packed as stored values commit to something else
            let unsigned = commitment_circuit(spec, salt, &signed);
            assert_fails_with(
                run(&unsigned, vec![expected]),
                &[instance_copy_fails(spec, 0)],
            );
        }
        // other widths: the same chain with t - 1 inputs per call
        for (width, n) in [(3, 23), (4, 7), (9, 41), (13, 130)] {
            let values = random_values(&mut rng, n);
            let salt = Fr::random(&mut rng);
            let circuit = commitment_circuit(shape(width, layout), salt, &values);
            let expected = native_commitment(width, salt, &values);
            assert_eq!(
                run(&circuit, vec![expected]),
                Ok(()),
                "{layout:?} width {width} n = {n}"
            );
        }
    }
}

#[test]
fn commitment_other_than_the_native_one_is_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    for layout in LAYOUTS {
        let spec = shape(COMMIT_WIDTH, layout);
        let values = random_values(&mut rng, 23);
        let salt = Fr::random(&mut rng);
        let circuit = commitment_circuit(spec, salt, &values);
        let right = commit(&values, salt).expect("commit");
        for wrong in [
            right + Fr::one(),
            commit(&values, salt + Fr::one()).expect("commit"),
            commit(&values[..22], salt).expect("commit"),
        ] {
            assert_fails_with(run(&circuit, vec![wrong]), &[instance_copy_fails(spec, 0)]);
        }
        // the circuit's values differ from the committed ones, packed honestly: another commitment
        let mut other = values.clone();
        other[5] = (other[5] + 1) % (MAX_VALUE + 1);
        let honest = commitment_circuit(spec, salt, &other);
        assert_fails_with(run(&honest, vec![right]), &[instance_copy_fails(spec, 0)]);
    }
}

/// The cell of packing slot `slot` (in the element's first row or below).
fn pack_cell(chip: &PoseidonChip, slot: usize) -> (Target, usize) {
    let t = chip.config().width();
    let columns = t + chip.config().work.len();
    let (col, row) = (slot % columns, slot / columns);
    match col < t {
        true => (Target::State(col), row),
        false => (Target::Work(col - t), row),
    }
}

#[test]
fn values_differing_from_the_packed_ones_fail_the_pack_gate() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    for layout in LAYOUTS {
        let spec = shape(COMMIT_WIDTH, layout);
        let values = random_values(&mut rng, 23);
        let salt = Fr::random(&mut rng);
        let right = commit(&values, salt).expect("commit");
        let (chip, _) = chip(spec);
        // the model's value 13 or 19 (element 1, slot 3 or 9) is another one; the packed element (and
        // the commitment) stay those of the committed values, and the pack cell holds the model's value
        // (copied from it)
        for index in [13, 19] {
            let mut model = values.clone();
            model[index] = values[index] + 1;
            let pack_row = (index / VALUES_PER_ELEMENT) * chip.pack_rows();
            let (target, below) = pack_cell(&chip, index % VALUES_PER_ELEMENT);
            let circuit = TestCircuit {
                shape: spec,
                job: Job::Commitment {
                    salt,
                    committed: values.clone(),
                    model: model.clone(),
                    offset: PackOffset::Stored,
                },
                overrides: vec![(target, pack_row + below, fr_from_i128(model[index]))],
            };
            assert_fails_with(
                run(&circuit, vec![right]),
                &[constraint_fails(
                    spec,
                    PACK_GATE,
                    0,
                    PACK_CONSTRAINT,
                    pack_row,
                )],
            );
        }
    }
}

/// Rows of a width-6 commitment to 33 values: 4 packings, then 2 permutations (`[s, n, P_0, P_1, P_2]`,
/// then `[h_1, P_3, 0, 0, 0]`).
struct Layout33 {
    first_perm: usize,
    second_perm: usize,
}

fn layout33(chip: &PoseidonChip) -> Layout33 {
    let first_perm = 4 * chip.pack_rows();
    Layout33 {
        first_perm,
        second_perm: first_perm + chip.permutation_rows(),
    }
}

fn tampered(spec: Shape, overrides: Vec<(Target, usize, Fr)>) -> Result<(), Vec<VerifyFailure>> {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let values = random_values(&mut rng, 33);
    let salt = Fr::random(&mut rng);
    let mut circuit = commitment_circuit(spec, salt, &values);
    circuit.overrides = overrides;
    run(&circuit, vec![commit(&values, salt).expect("commit")])
}

#[test]
fn tampered_full_round_cells_fail_the_full_round_gate() {
    let t = COMMIT_WIDTH;
    for layout in LAYOUTS {
        let spec = shape(t, layout);
        let (chip, _) = chip(spec);
        let l = layout33(&chip);
        let rows = layout.full_round_rows();
        let mix = |j: usize, row: usize| {
            constraint_fails(spec, FULL_ROUND_GATE, t + j, MIX_CONSTRAINT, row)
        };
        // element 1 of the last output: only the last full round's mix for element 1 reads it
        let out = l.second_perm + chip.permutation_rows() - 1;
        assert_fails_with(
            tampered(spec, vec![(Target::State(1), out, Fr::from(7))]),
            &[mix(1, out - rows)],
        );
        // the square of element 3 in the second full round of the first permutation: its square
        // constraint and every mix of that round
        let round = l.first_perm + chip.round_row(1).expect("a full round row");
        let square = match layout {
            PoseidonLayout::Wide => (Target::Work(3), round),
            PoseidonLayout::Narrow => (Target::State(3), round + 1),
        };
        let mut expected = vec![constraint_fails(
            spec,
            FULL_ROUND_GATE,
            3,
            SQUARE_CONSTRAINT,
            round,
        )];
        expected.extend((0..t).map(|j| mix(j, round)));
        assert_fails_with(
            tampered(spec, vec![(square.0, square.1, Fr::from(7))]),
            &expected,
        );
        // state element 3 of that round: the previous round's mix for element 3, then as the square
        expected.push(mix(3, round - rows));
        assert_fails_with(
            tampered(spec, vec![(Target::State(3), round, Fr::from(7))]),
            &expected,
        );
    }
}

#[test]
fn tampered_partial_round_cells_fail_the_partial_round_gate() {
    let t = COMMIT_WIDTH;
    for layout in LAYOUTS {
        let spec = shape(t, layout);
        let (chip, _) = chip(spec);
        let l = layout33(&chip);
        let n = chip.config().partial_rounds_per_row();
        assert!(
            chip.config().partial_remainder.is_none(),
            "60 = 20 * 3 = 60 * 1"
        );
        let gate = |index: usize, name: &'static str, row: usize| {
            constraint_fails(spec, PARTIAL_ROUNDS_GATE, index, name, row)
        };
        let mix = |j: usize, row: usize| gate(2 * n - 1 + j, MIX_CONSTRAINT, row);
        // the fourth row of partial rounds of the second permutation
        let row = l.second_perm + chip.round_row(4 + 3 * n).expect("a partial row");
        // the square of its last round: that square constraint and every mix (the last S-box is p^2 x)
        let mut expected = vec![gate(n - 1, SQUARE_CONSTRAINT, row)];
        expected.extend((0..t).map(|j| mix(j, row)));
        assert_fails_with(
            tampered(spec, vec![(Target::Work(2 * (n - 1)), row, Fr::from(7))]),
            &expected,
        );
        // state element 0 of that row: the previous row's mix for element 0 and this row's first
        // square; then the first S-box (a cell when the row has more rounds, else every mix)
        let mut expected = vec![mix(0, row - 1), gate(0, SQUARE_CONSTRAINT, row)];
        match n {
            1 => expected.extend((0..t).map(|j| mix(j, row))),
            _ => expected.push(gate(n, SBOX_CONSTRAINT, row)),
        }
        assert_fails_with(
            tampered(spec, vec![(Target::State(0), row, Fr::from(7))]),
            &expected,
        );
        if n > 1 {
            // the S-box output of its first round: that S-box constraint, the later rounds' squares and
            // S-boxes (their inputs depend on it), and every mix
            let mut expected = vec![gate(n, SBOX_CONSTRAINT, row)];
            expected.extend((1..n).map(|q| gate(q, SQUARE_CONSTRAINT, row)));
            expected.extend((1..n - 1).map(|q| gate(n + q, SBOX_CONSTRAINT, row)));
            expected.extend((0..t).map(|j| mix(j, row)));
            assert_fails_with(
                tampered(spec, vec![(Target::Work(1), row, Fr::from(7))]),
                &expected,
            );
        }
    }
}

#[test]
fn gates_have_degree_at_most_five() {
    for layout in LAYOUTS {
        for width in 2..=13 {
            let (_, cs) = chip(shape(width, layout));
            assert_eq!(over_max_degree(&cs), vec![], "width {width}");
            let max = degrees(&cs).into_iter().map(|(_, d)| d).max();
            assert_eq!(
                max,
                Some(4),
                "{layout:?} width {width}: the round gates have degree 4"
            );
        }
    }
}

#[test]
fn rows_per_committed_value() {
    for (layout, perm_rows, pack_rows, advice) in [
        (PoseidonLayout::Wide, 29, 1, 12),
        (PoseidonLayout::Narrow, 77, 2, 7),
    ] {
        let (chip, cs) = chip(shape(COMMIT_WIDTH, layout));
        let p = params(COMMIT_WIDTH).expect("width");
        let n = chip.config().partial_rounds_per_row();
        assert_eq!(
            chip.permutation_rows(),
            8 * layout.full_round_rows() + p.rounds_p.div_ceil(n) + 1
        );
        assert_eq!(
            (chip.permutation_rows(), chip.pack_rows()),
            (perm_rows, pack_rows)
        );
        // the chip's columns (the test circuit adds one model advice column and the instance)
        assert_eq!(cs.num_advice_columns() - 1, advice);
        let fixed = cs.num_fixed_columns();
        assert_eq!(fixed, COMMIT_WIDTH + n + 3);
        println!(
            "{layout:?} width {COMMIT_WIDTH}: {perm_rows} rows per permutation, {pack_rows} row(s) per \
             packed element, {advice} advice + {fixed} fixed columns (round, S-box input, packing enable \
             and offset, pinned constants), {} selectors",
            cs.num_selectors()
        );
        for n in [10usize, 100, 1_000, 3_072, 100_000] {
            let rows = chip.commitment_rows(n);
            println!(
                "  commitment to {n} values: {rows} rows, {:.3} rows per value, {:.1} advice cells per value",
                rows as f64 / n as f64,
                (rows * advice) as f64 / n as f64
            );
        }
        // asymptotically: 4 elements (40 values) per permutation, plus the packing rows per element
        let per_value = chip.commitment_rows(1_000_000) as f64 / 1e6;
        let expected = (perm_rows as f64 / 4.0 + pack_rows as f64) / 10.0;
        assert!(
            (per_value - expected).abs() < 1e-3,
            "{per_value} rows per value"
        );
        for width in 3..=13 {
            let (chip, _) = self::chip(shape(width, layout));
            let p = params(width).expect("width");
            let n = chip.config().partial_rounds_per_row();
            assert_eq!(
                chip.permutation_rows(),
                8 * layout.full_round_rows() + p.rounds_p.div_ceil(n) + 1
            );
            println!(
                "  width {width}: {n} partial rounds per row, {} rows per permutation",
                chip.permutation_rows()
            );
        }
    }
}

/// A real proof (KZG + SHPLONK, as the prover makes them) of a commitment: what `MockProver` cannot show,
/// that the chip's gates survive key generation (selector combination, the degree halo2-axiom clamps)
/// and that the verifier's instance decides.
#[test]
fn a_real_proof_verifies_only_with_its_commitment() {
    use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
    use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof};
    use halo2_proofs::poly::commitment::ParamsProver;
    use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
    use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
    use halo2_proofs::poly::kzg::strategy::SingleStrategy;
    use halo2_proofs::transcript::{
        Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
    };

    for layout in LAYOUTS {
        let k = 8;
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let values = random_values(&mut rng, 57);
        let salt = Fr::random(&mut rng);
        let commitment = commit(&values, salt).expect("commit");
        let circuit = commitment_circuit(shape(COMMIT_WIDTH, layout), salt, &values);
        let params = ParamsKZG::<Bn256>::setup(k, ChaCha20Rng::seed_from_u64(13));
        let vk = keygen_vk(&params, &circuit).expect("vk");
        let pk = keygen_pk(&params, vk, &circuit).expect("pk");
        let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(Vec::new());
        create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
            &params,
            &pk,
            &[circuit],
            &[&[&[commitment]]],
            ChaCha20Rng::seed_from_u64(1),
            &mut transcript,
        )
        .expect("proves");
        let proof = transcript.finalize();
        let verifies = |instance: Fr| {
            let mut rest = proof.as_slice();
            verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
                params.verifier_params(),
                pk.get_vk(),
                SingleStrategy::new(&params),
                &[&[&[instance]]],
                &mut Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&mut rest),
            )
            .is_ok()
        };
        assert!(verifies(commitment));
        assert!(!verifies(commitment + Fr::one()));
        assert!(!verifies(
            commit(&values, salt + Fr::one()).expect("commit")
        ));
    }
}
