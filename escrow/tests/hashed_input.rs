//! The escrow with a model compiled with hashed inputs (iris_mlp, `--input-visibility hashed`): its input
//! tensor is ONE public instance, the Poseidon commitment to the stored values under the buyer's salt. The
//! listing's input range says so (`COMMITMENT_BITS`, derived from the settings by `check::listing_terms`),
//! the buyer creates a job with the commitment only (computed from its opening, values and salt, which it
//! hands to the provider off chain), the provider proves from the opening (`prove_opened`, EVM transcript,
//! bound to the job) and the escrow pays. A proof of the same values under another salt (another
//! commitment) is refused, a commitment >= r is refused at createJob, and `check_listing` accepts the
//! listing and refuses one with the public model's ranges.
//!
//! The verifier is the inline layout on a chain without EIP-170's code-size limit (the hashed model's
//! inline verifier is over 24,576 bytes; the split layout `export` chooses for it is tested under the limit
//! in evm/tests/hashed_verifiers.rs).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use alloy_primitives::{Address, U256};
use common::{contracts, err, event};
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::field::fr_from_hex;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::poseidon::{commit, Opening};
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::visibility::Visibility;
use zkinfer_circuits::Fr;
use zkinfer_escrow::bind::{bind_value, fr_to_u256, SCALAR_MODULUS};
use zkinfer_escrow::bindings::ZkinferEscrow::{
    self, InputRange, ListingParams, ListingProof, ZkinferEscrowErrors as E,
};
use zkinfer_escrow::check::{
    check_listing, listing_terms, Expected, OnChainListing, RangeJson, COMMITMENT_BITS,
};
use zkinfer_escrow::escrow::describe_failure;
use zkinfer_escrow::{Chain, Escrow, Outcome};
use zkinfer_evm::export::{export, ExportedCode};
use zkinfer_evm::layout::Layout;
use zkinfer_evm::runtime::ether;
use zkinfer_evm::solc::Solc;
use zkinfer_prover::pipeline::{self, ProveOptions};
use zkinfer_prover::{Device, ModelDir, TranscriptKind};

const MODEL: &str = "iris_mlp";
const PRICE: u128 = 10_000_000_000_000_000; // 0.01 ether
const COLLATERAL: u128 = 3_000_000_000_000_000;
const ROYALTY_BPS: u16 = 1_000;
const CLAIM_TIMEOUT: u32 = 600;
const MIN_CLAIM_WINDOW: u32 = 300;
const JOB_DURATION: u64 = 3_600;

const OPEN: u8 = 1;
const CLAIMED: u8 = 2;
const SETTLED: u8 = 3;

/// The model compiled with hashed inputs and set up once per test binary (development SRS), its verifier
/// exported, and the model id its proofs state.
struct Model {
    _tmp: tempfile::TempDir,
    dir: ModelDir,
    settings: Settings,
    input: Vec<Vec<f64>>,
    verifier: ExportedCode,
}

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../models")
            .join(MODEL);
        let tmp = tempfile::tempdir().unwrap();
        let dir = ModelDir::new(tmp.path());
        pipeline::compile_with(
            &src.join("model.onnx"),
            &dir,
            &[src.join("calibration.json")],
            &CompileOptions {
                target: Target::Resources,
                inputs: Visibility::Hashed,
                ..CompileOptions::default()
            },
        )
        .unwrap();
        pipeline::setup(&dir, None).unwrap();
        let (settings, _) = dir.settings().unwrap();
        assert!(settings
            .inputs
            .iter()
            .all(|i| i.visibility == Visibility::Hashed));
        let input = pipeline::read_input(&src.join("input.json"), &settings).unwrap();
        let out = tmp.path().join("evm");
        let solc = Solc::locate().unwrap_or_else(|e| panic!("{e}"));
        let exported = export(&dir.path, &out, Some(Layout::Inline), &solc).unwrap();
        assert_eq!(exported.manifest.layout, Layout::Inline);
        let verifier = ExportedCode::load(&out).unwrap();
        Model {
            _tmp: tmp,
            dir,
            settings,
            input,
            verifier,
        }
    })
}

/// The buyer's opening of its input: the model's input quantised with the settings' encodings (stored
/// integers in [0, 2^bits)), one per (hashed) input tensor, under `salt`.
fn opening(salt: u64) -> Vec<Opening> {
    let m = model();
    m.settings
        .inputs
        .iter()
        .zip(&m.input)
        .enumerate()
        .map(|(t, (spec, values))| Opening {
            values: values
                .iter()
                .map(|&x| i128::from(spec.encoding.quantise(x).unwrap()))
                .collect(),
            // a test salt (a buyer draws a uniformly random field element)
            salt: Fr::from(salt) * Fr::from(0x9e37_79b9_7f4a_7c15u64) + Fr::from(t as u64),
        })
        .collect()
}

/// What the buyer puts in its job: the commitment of each opening (`zkinfer_circuits::poseidon::commit`).
fn commitments(openings: &[Opening]) -> Vec<U256> {
    openings
        .iter()
        .map(|o| fr_to_u256(&commit(&o.values, o.salt).unwrap()))
        .collect()
}

/// A proof bound to (chain, escrow, job, provider) in the EVM transcript: its input and output instances
/// and bytes.
struct Proof {
    inputs: Vec<U256>,
    outputs: Vec<U256>,
    bytes: Vec<u8>,
    model_id: String,
}

/// Proves `openings` (the provider proves exactly the buyer's commitments), or, with `None`, the model's
/// input under fresh salts (the owner's example proof).
fn prove_at(
    chain: &Chain,
    escrow: Escrow,
    job: U256,
    provider: Address,
    openings: Option<&[Opening]>,
) -> Proof {
    let m = model();
    let bind = bind_value(chain.chain_id(), escrow.address, job, provider);
    let options = ProveOptions {
        device: Device::Cpu,
        bind,
        transcript: TranscriptKind::Evm,
    };
    let summary = match openings {
        Some(o) => pipeline::prove_opened(&m.dir, o, &options).unwrap(),
        None => pipeline::prove_with(&m.dir, &m.input, &options).unwrap(),
    };
    let file = summary.proof;
    let instances: Vec<U256> = file
        .instances
        .iter()
        .map(|h| fr_to_u256(&fr_from_hex(h).unwrap()))
        .collect();
    let s = &m.settings;
    let terms = listing_terms(s).unwrap();
    let (n_in, n_out) = (terms.n_inputs as usize, terms.n_outputs as usize);
    assert_eq!(instances.len(), s.num_instances());
    assert_eq!(n_in + n_out + 2, s.num_instances());
    assert_eq!(instances[s.bind_instance()], fr_to_u256(&bind));
    Proof {
        inputs: instances[..n_in].to_vec(),
        outputs: instances[n_in..n_in + n_out].to_vec(),
        bytes: file.proof_bytes("proof.json").unwrap(),
        model_id: file.model_id,
    }
}

fn ranges(terms: &[RangeJson]) -> Vec<InputRange> {
    terms
        .iter()
        .map(|r| InputRange {
            count: r.count,
            bits: r.bits,
        })
        .collect()
}

struct World {
    chain: Chain,
    escrow: Escrow,
    verifier: Address,
    listing: U256,
    params: ListingParams,
    example: Proof,
    owner: Address,
    buyer: Address,
    provider: Address,
}

impl World {
    /// Deploys the exported verifier and the escrow, and lists the model with the terms its settings give.
    fn new() -> Self {
        let m = model();
        // see the module docs: the inline verifier, without the code-size limit
        let mut chain = Chain::new().without_code_size_limit();
        let (deployer, owner, buyer, provider) = (
            Address::repeat_byte(0xde),
            Address::repeat_byte(0x0a),
            Address::repeat_byte(0x0b),
            Address::repeat_byte(0x01),
        );
        for who in [deployer, owner, buyer, provider] {
            chain.fund(who, ether(100));
        }
        let verifier = m.verifier.deploy(&mut chain, owner).unwrap();
        let (escrow, _) = Escrow::deploy(&mut chain, contracts(), deployer).unwrap();
        let terms = listing_terms(&m.settings).unwrap();
        // iris has one input tensor: one commitment instance, any field element
        assert_eq!(
            terms.input_ranges,
            vec![RangeJson {
                count: 1,
                bits: COMMITMENT_BITS
            }]
        );
        let params = ListingParams {
            verifier,
            token: Address::ZERO,
            settingsDigest: fr_to_u256(&m.settings.digest()),
            nInputs: terms.n_inputs,
            nOutputs: terms.n_outputs,
            price: PRICE,
            royaltyBps: ROYALTY_BPS,
            collateral: COLLATERAL,
            claimTimeout: CLAIM_TIMEOUT,
            minClaimWindow: MIN_CLAIM_WINDOW,
        };
        // the owner's example proof (its own input under a fresh salt), bound to job 0 and the owner
        let example = prove_at(&chain, escrow, U256::ZERO, owner, None);
        let (listing, _) = escrow
            .list(
                &mut chain,
                owner,
                params.clone(),
                ranges(&terms.input_ranges),
                listing_proof(&example),
            )
            .unwrap();
        Self {
            chain,
            escrow,
            verifier,
            listing,
            params,
            example,
            owner,
            buyer,
            provider,
        }
    }

    fn create_job_call(&mut self, inputs: Vec<U256>) -> Outcome {
        let deadline = self.chain.timestamp() + JOB_DURATION;
        let call = ZkinferEscrow::createJobCall {
            listingId: self.listing,
            inputs,
            deadline: alloy_primitives::Uint::<40, 1>::saturating_from(deadline),
        };
        self.escrow
            .send(&mut self.chain, self.buyer, U256::from(PRICE), &call)
            .unwrap()
    }

    /// The buyer creates a job naming only the commitments.
    fn create_job(&mut self, commitments: &[U256]) -> U256 {
        let r = self.create_job_call(commitments.to_vec());
        assert!(r.is_success(), "createJob: {}", describe_failure(&r));
        println!(
            "HASHED-GAS {{\"model\": \"{MODEL}\", \"create_job_gas\": {}, \"input_instances\": {}}}",
            r.gas_used,
            commitments.len()
        );
        let ev = event::<ZkinferEscrow::JobCreated>(&r);
        assert_eq!(ev.inputs, commitments);
        ev.jobId
    }

    fn claim(&mut self, job: U256) {
        let r = self
            .escrow
            .claim(&mut self.chain, self.provider, job, U256::from(COLLATERAL))
            .unwrap();
        assert!(r.is_success(), "{}", describe_failure(&r));
    }

    fn submit(&mut self, job: U256, inputs: &[U256], proof: &Proof) -> Outcome {
        let call = ZkinferEscrow::submitCall {
            jobId: job,
            inputs: inputs.to_vec(),
            outputs: proof.outputs.clone(),
            proof: proof.bytes.clone().into(),
        };
        self.escrow
            .send(&mut self.chain, self.provider, U256::ZERO, &call)
            .unwrap()
    }

    fn state(&self, job: U256) -> u8 {
        self.escrow.job(&self.chain, job).unwrap().state.into()
    }

    /// What `zkinfer escrow check-listing` reads from the chain for this listing.
    fn on_chain_listing(&self, listing: U256) -> OnChainListing {
        let l = self.escrow.listing(&self.chain, listing).unwrap();
        let ranges = self.escrow.input_ranges(&self.chain, listing).unwrap();
        OnChainListing {
            verifier_codehash: l.verifierCodehash,
            verifier_code: hex::encode(self.chain.code(l.verifier)),
            data_code: None,
            settings_digest: l.settingsDigest,
            n_inputs: l.nInputs,
            n_outputs: l.nOutputs,
            input_ranges: ranges
                .iter()
                .map(|r| RangeJson {
                    count: r.count,
                    bits: r.bits,
                })
                .collect(),
        }
    }
}

fn listing_proof(p: &Proof) -> ListingProof {
    ListingProof {
        inputs: p.inputs.clone(),
        outputs: p.outputs.clone(),
        proof: p.bytes.clone().into(),
    }
}

fn royalty() -> u128 {
    PRICE * u128::from(ROYALTY_BPS) / 10_000
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn the_contract_and_the_rust_side_agree_on_the_commitment_range() {
    let w = World::new();
    let bits = w
        .escrow
        .view(&w.chain, &ZkinferEscrow::COMMITMENT_BITSCall {})
        .unwrap();
    assert_eq!(bits, COMMITMENT_BITS);
    assert_eq!(
        w.escrow.input_ranges(&w.chain, w.listing).unwrap(),
        vec![InputRange {
            count: 1,
            bits: COMMITMENT_BITS
        }]
    );
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn buyer_commits_provider_proves_the_opening_and_is_paid() {
    let mut w = World::new();
    // the buyer checks the listing against the model's files before escrowing anything
    let verdict = check_listing(
        &Expected {
            settings: &model().settings,
            model_id: &w.example.model_id,
            exported: &model().verifier,
            allow_dev_srs: true,
        },
        &w.on_chain_listing(w.listing),
    )
    .unwrap();
    assert!(verdict.trusted(), "{:#?}", verdict.findings);

    let (buyer0, provider0) = (w.chain.balance(w.buyer), w.chain.balance(w.provider));
    // the buyer commits to its input; the job carries the commitment only, never the values
    let opened = opening(1);
    let c = commitments(&opened);
    let job = w.create_job(&c);
    assert_eq!(w.state(job), OPEN);
    // the buyer hands `opened` to the provider off chain; the provider checks it opens the job's commitment
    // before claiming (a job without a valid opening is not worth a claim)
    assert_eq!(commitments(&opened), c);
    w.claim(job);
    assert_eq!(w.state(job), CLAIMED);

    let proof = prove_at(&w.chain, w.escrow, job, w.provider, Some(&opened));
    assert_eq!(
        proof.inputs, c,
        "the prover's input instance is the buyer's commitment"
    );
    let r = w.submit(job, &c, &proof);
    assert!(
        r.is_success(),
        "valid proof refused: {}",
        describe_failure(&r)
    );
    let ev = event::<ZkinferEscrow::JobSettled>(&r);
    assert_eq!(ev.outputs, proof.outputs);
    assert_eq!(
        ev.providerAmount,
        U256::from(PRICE - royalty() + COLLATERAL)
    );
    assert_eq!(w.state(job), SETTLED);
    println!(
        "HASHED-GAS {{\"model\": \"{MODEL}\", \"submit_gas\": {}, \"proof_bytes\": {}, \"verifier_bytes\": {}}}",
        r.gas_used,
        proof.bytes.len(),
        w.chain.code_size(w.verifier)
    );

    let (provider, owner) = (w.provider, w.owner);
    let paid = w
        .escrow
        .withdraw(&mut w.chain, provider, Address::ZERO, provider)
        .unwrap()
        .0;
    assert_eq!(paid, U256::from(PRICE - royalty() + COLLATERAL));
    let royalty_paid = w
        .escrow
        .withdraw(&mut w.chain, owner, Address::ZERO, owner)
        .unwrap()
        .0;
    assert_eq!(royalty_paid, U256::from(royalty()));
    assert_eq!(w.chain.balance(w.buyer), buyer0 - U256::from(PRICE));
    assert_eq!(
        w.chain.balance(w.provider),
        provider0 + U256::from(PRICE - royalty())
    );
    assert_eq!(w.chain.balance(w.escrow.address), U256::ZERO);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_proof_for_another_commitment_is_refused_and_the_job_stays_open_to_the_right_one() {
    let mut w = World::new();
    let opened = opening(1);
    let c = commitments(&opened);
    let job = w.create_job(&c);
    w.claim(job);
    // the same values under another salt: a valid proof, but of another commitment
    let other_salt = opening(2);
    assert_eq!(other_salt[0].values, opened[0].values);
    let other = prove_at(&w.chain, w.escrow, job, w.provider, Some(&other_salt));
    assert_eq!(other.inputs, commitments(&other_salt));
    assert_ne!(other.inputs, c);
    assert_eq!(other.outputs.len(), w.params.nOutputs as usize);
    // submitted against the job's commitment: the verifier refuses it
    let r = w.submit(job, &c, &other);
    assert!(
        matches!(err(&r), E::ProofRejected(ref e) if e.jobId == job),
        "{}",
        describe_failure(&r)
    );
    // submitted with its own commitment: not the job's input
    let r = w.submit(job, &other.inputs, &other);
    assert!(
        matches!(err(&r), E::InputMismatch(ref e) if e.jobId == job),
        "{}",
        describe_failure(&r)
    );
    // a fresh-salt proof of the same input (prove without the buyer's opening) is refused too
    let fresh = prove_at(&w.chain, w.escrow, job, w.provider, None);
    assert_ne!(fresh.inputs, c);
    let r = w.submit(job, &c, &fresh);
    assert!(
        matches!(err(&r), E::ProofRejected(_)),
        "{}",
        describe_failure(&r)
    );
    assert_eq!(w.state(job), CLAIMED);
    // the proof of the buyer's opening still settles
    let proof = prove_at(&w.chain, w.escrow, job, w.provider, Some(&opened));
    let r = w.submit(job, &c, &proof);
    assert!(r.is_success(), "{}", describe_failure(&r));
    assert_eq!(w.state(job), SETTLED);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_commitment_at_or_above_r_is_refused_at_create_job() {
    let mut w = World::new();
    let buyer0 = w.chain.balance(w.buyer);
    for bad in [SCALAR_MODULUS, SCALAR_MODULUS + U256::from(1), U256::MAX] {
        let r = w.create_job_call(vec![bad]);
        assert!(
            matches!(err(&r), E::InstanceOutOfField(ref e) if e.index == U256::ZERO && e.value == bad),
            "{bad}: {}",
            describe_failure(&r)
        );
    }
    let count: u64 = w
        .escrow
        .view(&w.chain, &ZkinferEscrow::jobCountCall {})
        .unwrap();
    assert_eq!(count, 0);
    assert_eq!(w.chain.balance(w.buyer), buyer0);
    // the wrong number of instances (the public model's four values) is refused
    let r = w.create_job_call(vec![U256::from(1); 4]);
    assert!(
        matches!(err(&r), E::WrongInstanceCount(_)),
        "{}",
        describe_failure(&r)
    );
    // the largest field element is a commitment (the escrow cannot tell which ones anyone can open)
    w.create_job(&[SCALAR_MODULUS - U256::from(1)]);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_listing_with_the_public_ranges_is_refused_on_chain_and_by_check_listing() {
    let mut w = World::new();
    let m = model();
    let owner = w.owner;
    // the element range of the public model (4 values of `bits` bits) for the commitment instance: the
    // example's commitment (a field element, far above 2^bits) is out of that range
    let spec = &m.settings.inputs[0];
    let public_ranges = vec![InputRange {
        count: 1,
        bits: spec.encoding.bits as u8,
    }];
    let call = ZkinferEscrow::listCall {
        p: w.params.clone(),
        ranges: public_ranges,
        example: listing_proof(&w.example),
    };
    let r = w
        .escrow
        .send(&mut w.chain, owner, U256::ZERO, &call)
        .unwrap();
    assert!(
        matches!(err(&r), E::InputOutOfRange(ref e) if e.index == U256::ZERO),
        "{}",
        describe_failure(&r)
    );
    // a listing stating the element split (4 inputs) cannot be made with the verifier's statement
    let mut p = w.params.clone();
    p.nInputs = spec.numel() as u32;
    let mut ex = listing_proof(&w.example);
    ex.inputs = vec![U256::from(1); spec.numel()];
    let call = ZkinferEscrow::listCall {
        p,
        ranges: vec![InputRange {
            count: spec.numel() as u32,
            bits: spec.encoding.bits as u8,
        }],
        example: ex,
    };
    let r = w
        .escrow
        .send(&mut w.chain, owner, U256::ZERO, &call)
        .unwrap();
    assert!(
        matches!(err(&r), E::ListingProofRejected(_)),
        "{}",
        describe_failure(&r)
    );
    // check-listing: the honest listing passes; one whose ranges are not the commitment's fails
    let expected = Expected {
        settings: &m.settings,
        model_id: &w.example.model_id,
        exported: &m.verifier,
        allow_dev_srs: true,
    };
    let honest = w.on_chain_listing(w.listing);
    assert!(check_listing(&expected, &honest).unwrap().trusted());
    let mut wrong = honest.clone();
    wrong.input_ranges = vec![RangeJson {
        count: 1,
        bits: spec.encoding.bits as u8,
    }];
    let verdict = check_listing(&expected, &wrong).unwrap();
    let failed: Vec<&str> = verdict
        .findings
        .iter()
        .filter(|f| !f.ok)
        .map(|f| f.what)
        .collect();
    assert_eq!(failed, vec!["input ranges"]);
}
