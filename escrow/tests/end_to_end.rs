//! The escrow with the real thing: a bundled model's generated Solidity verifier (zkinfer-evm's export, the
//! files `zkinfer export-evm` writes) and proofs made by the project's prover (`prove_with`, EVM transcript,
//! bound to the job). One revm chain with real-chain rules (EIP-170 enforced) holds the verifier and the
//! escrow; the owner lists the model, the buyer escrows a job with the committed input, a provider claims
//! with collateral, proves, submits and is paid. A proof bound to another provider or another job, a proof
//! with a tampered output and a Blake2b proof are refused, and the job stays open to a valid proof.
//!
//! iris_mlp: its inline verifier fits EIP-170 (bench/results/evm_verifiers.md).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use common::{contracts, err, event};
use zkinfer_circuits::field::{fr_from_hex, fr_from_i128};
use zkinfer_circuits::settings::Settings;
use zkinfer_escrow::bind::{bind_value, fr_to_u256};
use zkinfer_escrow::bindings::ZkinferEscrow::{
    self, InputRange, ListingParams, ListingProof, ZkinferEscrowErrors as E,
};
use zkinfer_escrow::escrow::describe_failure;
use zkinfer_escrow::{Chain, Escrow, Outcome};
use zkinfer_evm::export::{export, ExportedCode};
use zkinfer_evm::runtime::{ether, MAX_CODE_SIZE};
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

/// Job states (the contract's enum).
const OPEN: u8 = 1;
const CLAIMED: u8 = 2;
const SETTLED: u8 = 3;

/// The model compiled and set up once per test binary (development SRS), and its verifier exported.
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
        pipeline::compile(
            &src.join("model.onnx"),
            &dir,
            &[src.join("calibration.json")],
            zkinfer_circuits::layout::Target::Resources,
        )
        .unwrap();
        pipeline::setup(&dir, None).unwrap();
        let (settings, _) = dir.settings().unwrap();
        let input = pipeline::read_input(&src.join("input.json"), &settings).unwrap();
        // what `zkinfer export-evm DIR --out DIR2` writes, read back as a deployer would
        let out = tmp.path().join("evm");
        let solc = Solc::locate().unwrap_or_else(|e| panic!("{e}"));
        let exported = export(&dir.path, &out, None, &solc).unwrap();
        assert!(
            exported.manifest.fits_eip170,
            "{MODEL}'s verifier must deploy on a real chain: {:?}",
            exported.manifest
        );
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

/// A proof of the model's input bound to (chain, escrow, job, provider), with `transcript`: its input and
/// output instances (as the EVM sees them) and proof bytes.
struct Proof {
    inputs: Vec<U256>,
    outputs: Vec<U256>,
    bytes: Vec<u8>,
}

fn prove(w: &World, job: U256, provider: Address, transcript: TranscriptKind) -> Proof {
    prove_at(&w.chain, w.escrow, job, provider, transcript)
}

/// [`prove`] before the world exists: job 0 is a listing's example proof by `provider` (the owner).
fn prove_at(
    chain: &Chain,
    escrow: Escrow,
    job: U256,
    provider: Address,
    transcript: TranscriptKind,
) -> Proof {
    let m = model();
    let bind = bind_value(chain.chain_id(), escrow.address, job, provider);
    let summary = pipeline::prove_with(
        &m.dir,
        &m.input,
        &ProveOptions {
            device: Device::Cpu,
            bind,
            transcript,
        },
    )
    .unwrap();
    let file = summary.proof;
    assert_eq!(file.transcript, transcript);
    let instances: Vec<U256> = file
        .instances
        .iter()
        .map(|h| fr_to_u256(&fr_from_hex(h).unwrap()))
        .collect();
    let s = &m.settings;
    let n_in: usize = s.inputs.iter().map(|i| i.numel()).sum();
    let n_out: usize = s.outputs.iter().map(|o| o.numel()).sum();
    assert_eq!(instances.len(), s.num_instances());
    assert_eq!(instances[s.bind_instance()], fr_to_u256(&bind));
    assert_eq!(instances[s.digest_instance()], fr_to_u256(&s.digest()));
    Proof {
        inputs: instances[..n_in].to_vec(),
        outputs: instances[n_in..n_in + n_out].to_vec(),
        bytes: file.proof_bytes("proof.json").unwrap(),
    }
}

/// The buyer's committed input: the model's input quantised with the settings' input encodings (stored
/// integers in [0, 2^bits): signed tensors carry an offset, so no instance is a "negative" field element).
fn committed_input() -> Vec<U256> {
    let m = model();
    m.settings
        .inputs
        .iter()
        .zip(&m.input)
        .flat_map(|(spec, values)| {
            values.iter().map(|&x| {
                let q = spec.encoding.quantise(x).unwrap();
                fr_to_u256(&fr_from_i128(i128::from(q)))
            })
        })
        .collect()
}

impl Proof {
    fn listing_proof(&self) -> ListingProof {
        ListingProof {
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            proof: self.bytes.clone().into(),
        }
    }
}

/// The model's listing terms: its digest and split as the settings state them.
fn listing_params(verifier: Address, digest: U256) -> ListingParams {
    let m = model();
    ListingParams {
        verifier,
        token: Address::ZERO,
        settingsDigest: digest,
        nInputs: m.settings.inputs.iter().map(|i| i.numel() as u32).sum(),
        nOutputs: m.settings.outputs.iter().map(|o| o.numel() as u32).sum(),
        price: PRICE,
        royaltyBps: ROYALTY_BPS,
        collateral: COLLATERAL,
        claimTimeout: CLAIM_TIMEOUT,
        minClaimWindow: MIN_CLAIM_WINDOW,
    }
}

/// One input range per input tensor: its element count and its encoding's bits.
fn input_ranges(settings: &Settings) -> Vec<InputRange> {
    settings
        .inputs
        .iter()
        .map(|spec| InputRange {
            count: spec.numel() as u32,
            bits: spec.encoding.bits as u8,
        })
        .collect()
}

struct World {
    chain: Chain,
    escrow: Escrow,
    verifier: Address,
    listing: U256,
    owner: Address,
    buyer: Address,
    provider: Address,
    provider2: Address,
}

impl World {
    /// Deploys the exported verifier and the escrow on a chain with real-chain rules, and lists the model.
    fn new() -> Self {
        let m = model();
        let mut chain = Chain::new();
        let (deployer, owner, buyer, provider, provider2) = (
            Address::repeat_byte(0xde),
            Address::repeat_byte(0x0a),
            Address::repeat_byte(0x0b),
            Address::repeat_byte(0x01),
            Address::repeat_byte(0x02),
        );
        for who in [deployer, owner, buyer, provider, provider2] {
            chain.fund(who, ether(100));
        }
        let verifier = m.verifier.deploy(&mut chain, owner).unwrap();
        let size = chain.code_size(verifier);
        assert!(size > 0 && size <= MAX_CODE_SIZE, "{size} bytes");
        let (escrow, _) = Escrow::deploy(&mut chain, contracts(), deployer).unwrap();
        let digest = fr_from_hex(&m.verifier.manifest.settings_digest).unwrap();
        assert_eq!(digest, m.settings.digest());
        let params = listing_params(verifier, fr_to_u256(&digest));
        // the owner's example proof, bound to (chain, escrow, job 0, owner): the verifier must accept it
        let example = prove_at(&chain, escrow, U256::ZERO, owner, TranscriptKind::Evm);
        let (listing, _) = escrow
            .list(
                &mut chain,
                owner,
                params,
                input_ranges(&m.settings),
                example.listing_proof(),
            )
            .unwrap();
        Self {
            chain,
            escrow,
            verifier,
            listing,
            owner,
            buyer,
            provider,
            provider2,
        }
    }

    fn create_job(&mut self) -> U256 {
        let deadline = self.chain.timestamp() + JOB_DURATION;
        let (job, r) = self
            .escrow
            .create_job(
                &mut self.chain,
                self.buyer,
                self.listing,
                committed_input(),
                deadline,
                U256::from(PRICE),
            )
            .unwrap();
        assert_eq!(
            event::<ZkinferEscrow::JobCreated>(&r).inputs,
            committed_input()
        );
        job
    }

    fn claim(&mut self, job: U256, provider: Address) {
        let r = self
            .escrow
            .claim(&mut self.chain, provider, job, U256::from(COLLATERAL))
            .unwrap();
        let ev = event::<ZkinferEscrow::JobClaimed>(&r);
        let bind = bind_value(self.chain.chain_id(), self.escrow.address, job, provider);
        assert_eq!(ev.bindValue, fr_to_u256(&bind));
    }

    fn submit(&mut self, job: U256, from: Address, outputs: &[U256], proof: &Proof) -> Outcome {
        let call = ZkinferEscrow::submitCall {
            jobId: job,
            inputs: committed_input(),
            outputs: outputs.to_vec(),
            proof: proof.bytes.clone().into(),
        };
        self.escrow
            .send(&mut self.chain, from, U256::ZERO, &call)
            .unwrap()
    }

    fn state(&self, job: U256) -> u8 {
        self.escrow.job(&self.chain, job).unwrap().state.into()
    }

    /// Submits a proof the escrow must refuse; the job stays claimed by `from`.
    fn refused(&mut self, job: U256, from: Address, outputs: &[U256], proof: &Proof, what: &str) {
        let r = self.submit(job, from, outputs, proof);
        assert!(
            matches!(err(&r), E::ProofRejected(ref e) if e.jobId == job),
            "{what}: {}",
            describe_failure(&r)
        );
        assert_eq!(self.state(job), CLAIMED, "{what}");
        assert_eq!(self.escrow.job(&self.chain, job).unwrap().provider, from);
    }

    /// Submits a valid proof and checks the settlement event and credits.
    fn settles(&mut self, job: U256, from: Address, proof: &Proof) -> Outcome {
        let bounty = self
            .escrow
            .view(&self.chain, &ZkinferEscrow::bountyCall::new((job,)))
            .unwrap();
        let r = self.submit(job, from, &proof.outputs, proof);
        assert!(
            r.is_success(),
            "valid proof refused: {}",
            describe_failure(&r)
        );
        let ev = event::<ZkinferEscrow::JobSettled>(&r);
        assert_eq!(ev.outputs, proof.outputs);
        assert_eq!(ev.provider, from);
        assert_eq!(
            ev.providerAmount,
            U256::from(PRICE - royalty() + COLLATERAL) + bounty
        );
        assert_eq!(ev.royalty, U256::from(royalty()));
        assert_eq!(self.state(job), SETTLED);
        r
    }

    fn withdraw(&mut self, who: Address) -> U256 {
        self.escrow
            .withdraw(&mut self.chain, who, Address::ZERO, who)
            .unwrap()
            .0
    }
}

fn royalty() -> u128 {
    PRICE * u128::from(ROYALTY_BPS) / 10_000
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn buyer_escrows_provider_claims_proves_submits_and_is_paid() {
    let mut w = World::new();
    let (buyer0, provider0, owner0) = (
        w.chain.balance(w.buyer),
        w.chain.balance(w.provider),
        w.chain.balance(w.owner),
    );
    let job = w.create_job();
    assert_eq!(w.state(job), OPEN);
    w.claim(job, w.provider);
    assert_eq!(w.state(job), CLAIMED);
    assert_eq!(
        w.chain.balance(w.escrow.address),
        U256::from(PRICE + COLLATERAL)
    );

    let proof = prove(&w, job, w.provider, TranscriptKind::Evm);
    assert_eq!(
        proof.inputs,
        committed_input(),
        "the prover's input instances are the buyer's committed input"
    );
    let r = w.settles(job, w.provider, &proof);
    println!(
        "E2E-GAS {{\"model\": \"{MODEL}\", \"submit_gas\": {}, \"proof_bytes\": {}, \"verifier_bytes\": {}}}",
        r.gas_used,
        proof.bytes.len(),
        w.chain.code_size(w.verifier)
    );
    let stored = w
        .escrow
        .view(&w.chain, &ZkinferEscrow::outputsHashCall::new((job,)))
        .unwrap();
    let packed: Vec<u8> = proof
        .outputs
        .iter()
        .flat_map(|o| o.to_be_bytes::<32>())
        .collect();
    assert_eq!(stored, alloy_primitives::keccak256(&packed));

    // pull payments: gas price is zero here, so balances move by exactly the amounts
    assert_eq!(
        w.withdraw(w.provider),
        U256::from(PRICE - royalty() + COLLATERAL)
    );
    assert_eq!(w.withdraw(w.owner), U256::from(royalty()));
    assert_eq!(w.chain.balance(w.buyer), buyer0 - U256::from(PRICE));
    assert_eq!(
        w.chain.balance(w.provider),
        provider0 + U256::from(PRICE - royalty()),
        "the provider is paid price - royalty and gets its collateral back"
    );
    assert_eq!(w.chain.balance(w.owner), owner0 + U256::from(royalty()));
    assert_eq!(w.chain.balance(w.escrow.address), U256::ZERO);
    // settled once: the same proof again is refused before the verifier is called
    let again = w.submit(job, w.provider, &proof.outputs, &proof);
    assert!(matches!(err(&again), E::JobNotClaimed(_)));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_proof_bound_to_another_provider_or_job_is_refused_and_the_job_stays_open_to_a_valid_one() {
    let mut w = World::new();
    let job1 = w.create_job();
    let job2 = w.create_job();
    w.claim(job1, w.provider);
    // provider2's proof of job 1 (e.g. seen in the mempool) and provider's own proof of job 2: both prove
    // the right input and outputs, but their binding value is not (chain, escrow, job 1, provider)
    let other_provider = prove(&w, job1, w.provider2, TranscriptKind::Evm);
    let other_job = prove(&w, job2, w.provider, TranscriptKind::Evm);
    let (p, p2) = (w.provider, w.provider2);
    w.refused(
        job1,
        p,
        &other_provider.outputs,
        &other_provider,
        "another provider's proof",
    );
    w.refused(
        job1,
        p,
        &other_job.outputs,
        &other_job,
        "another job's proof",
    );

    // the claim lapses; the job reopens and the maker of the copied proof claims it and is paid with it
    w.chain.advance(u64::from(CLAIM_TIMEOUT) + 1);
    let r = w
        .escrow
        .send(
            &mut w.chain,
            w.buyer,
            U256::ZERO,
            &ZkinferEscrow::expireClaimCall { jobId: job1 },
        )
        .unwrap();
    assert!(r.is_success(), "{}", describe_failure(&r));
    assert_eq!(w.state(job1), OPEN);
    w.claim(job1, p2);
    w.settles(job1, p2, &other_provider);

    // job 2's own proof pays job 2's claimant
    w.claim(job2, p);
    w.settles(job2, p, &other_job);
    // the lapsed claim's collateral: half to job 1's bounty, paid to its settling provider, half burned
    let half = COLLATERAL / 2;
    assert_eq!(
        w.withdraw(p2),
        U256::from(PRICE - royalty() + COLLATERAL + (COLLATERAL - half))
    );
    assert_eq!(w.withdraw(p), U256::from(PRICE - royalty() + COLLATERAL));
    assert_eq!(w.withdraw(w.owner), U256::from(2 * royalty()));
    assert_eq!(
        w.chain.balance(w.escrow.address),
        U256::from(half),
        "the burned half stays locked; the buyer gained nothing"
    );
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_tampered_output_and_a_blake2b_proof_are_refused() {
    let mut w = World::new();
    let job = w.create_job();
    w.claim(job, w.provider);
    let p = w.provider;
    let proof = prove(&w, job, p, TranscriptKind::Evm);
    for i in 0..proof.outputs.len() {
        let mut outputs = proof.outputs.clone();
        outputs[i] += U256::from(1);
        w.refused(job, p, &outputs, &proof, &format!("output {i} + 1"));
    }
    // a valid, correctly bound proof in halo2's Blake2b transcript: `zkinfer verify` accepts it, the EVM
    // verifier reads another transcript and refuses it
    let blake = prove(&w, job, p, TranscriptKind::Blake2b);
    assert_eq!(blake.outputs, proof.outputs);
    w.refused(job, p, &blake.outputs, &blake, "a Blake2b proof");
    // a flipped proof byte
    let mut flipped = Proof {
        inputs: proof.inputs.clone(),
        outputs: proof.outputs.clone(),
        bytes: proof.bytes.clone(),
    };
    let mid = flipped.bytes.len() / 2;
    flipped.bytes[mid] ^= 1;
    w.refused(job, p, &proof.outputs, &flipped, "a flipped proof byte");
    // none of it consumed the claim: the valid proof still settles
    w.settles(job, p, &proof);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_listing_whose_digest_or_counts_do_not_match_the_real_verifier_is_refused() {
    let mut w = World::new();
    let m = model();
    let owner = w.owner;
    let example = prove_at(&w.chain, w.escrow, U256::ZERO, owner, TranscriptKind::Evm);
    let digest = fr_to_u256(&m.settings.digest());
    let verifier = w.verifier;
    let list = |w: &mut World, params: ListingParams, ranges: Vec<InputRange>, ex: ListingProof| {
        let call = ZkinferEscrow::listCall {
            p: params,
            ranges,
            example: ex,
        };
        w.escrow
            .send(&mut w.chain, owner, U256::ZERO, &call)
            .unwrap()
    };
    // another digest (a listing of another model's settings on this verifier)
    let r = list(
        &mut w,
        listing_params(verifier, digest + U256::from(1)),
        input_ranges(&m.settings),
        example.listing_proof(),
    );
    assert!(
        matches!(err(&r), E::ListingProofRejected(_)),
        "{}",
        describe_failure(&r)
    );
    // one output fewer: the instance count is not the verifier's
    let mut p = listing_params(verifier, digest);
    p.nOutputs -= 1;
    let mut ex = example.listing_proof();
    ex.outputs.pop();
    let r = list(&mut w, p, input_ranges(&m.settings), ex);
    assert!(
        matches!(err(&r), E::ListingProofRejected(_)),
        "{}",
        describe_failure(&r)
    );
    // the example proof of another owner
    let other = prove_at(&w.chain, w.escrow, U256::ZERO, w.buyer, TranscriptKind::Evm);
    let r = list(
        &mut w,
        listing_params(verifier, digest),
        input_ranges(&m.settings),
        other.listing_proof(),
    );
    assert!(
        matches!(err(&r), E::ListingProofRejected(_)),
        "{}",
        describe_failure(&r)
    );
    // the honest listing again is accepted (World::new made the first)
    let r = list(
        &mut w,
        listing_params(verifier, digest),
        input_ranges(&m.settings),
        example.listing_proof(),
    );
    assert!(r.is_success(), "{}", describe_failure(&r));
    println!(
        "E2E-LIST-GAS {{\"model\": \"{MODEL}\", \"list_gas\": {}}}",
        r.gas_used
    );
}
