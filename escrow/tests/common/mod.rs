//! The world the escrow tests run in: a revm chain with the escrow, the instance-checking test verifier and
//! a test ERC-20 deployed, and funded actors (owner, buyer, two providers, an outsider).
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::sync::OnceLock;

use alloy_primitives::{keccak256, Address, Log, U256};
use alloy_sol_types::{SolCall, SolEvent};
use zkinfer_escrow::bind::{bind_u256, listing_bind_u256};
use zkinfer_escrow::bindings::ZkinferEscrow::{
    self, InputRange, ListingParams, ListingProof, ZkinferEscrowErrors,
};
use zkinfer_escrow::bindings::{InstanceCheckVerifier, TestToken};
use zkinfer_escrow::escrow::{decode_error, describe_failure};
use zkinfer_escrow::{Chain, Contracts, Escrow, Outcome};

pub const CHAIN_ID: u64 = 31337;
pub const PRICE: u128 = 1_000_000_000;
pub const COLLATERAL: u128 = 300_000_000;
pub const ROYALTY_BPS: u16 = 500;
pub const CLAIM_TIMEOUT: u32 = 600;
/// The listings' minimum claim window (seconds a claim needs before the job's deadline).
pub const MIN_CLAIM_WINDOW: u32 = 120;
/// The listings' calibrated input range: stored integers in [0, 2^INPUT_BITS).
pub const INPUT_BITS: u8 = 24;
pub const JOB_DURATION: u64 = 3600;
pub const N_IN: u32 = 4;
pub const N_OUT: u32 = 2;
pub const ETH: Address = Address::ZERO;

/// Job states (the contract's enum).
pub const OPEN: u8 = 1;
pub const CLAIMED: u8 = 2;
pub const SETTLED: u8 = 3;
pub const CANCELLED: u8 = 4;
pub const REFUNDED: u8 = 5;

/// Compiled once per test binary.
pub fn contracts() -> &'static Contracts {
    static C: OnceLock<Contracts> = OnceLock::new();
    C.get_or_init(|| {
        Contracts::compile().unwrap_or_else(|e| panic!("compiling the contracts: {e}"))
    })
}

pub fn addr(tag: u8) -> Address {
    Address::repeat_byte(tag)
}

/// The model's settings digest in the tests (any value below r).
pub fn digest() -> U256 {
    U256::from_be_bytes(keccak256(b"test settings").0) >> 8
}

/// The quantised input of the default job: stored integers in [0, 2^INPUT_BITS), the largest included.
pub fn inputs() -> Vec<U256> {
    vec![
        U256::from(3),
        U256::from((1u64 << INPUT_BITS) - 1),
        U256::from(0),
        U256::from(1 << 20),
    ]
}

/// One input range over all `n_in` inputs, INPUT_BITS wide.
pub fn ranges(n_in: u32) -> Vec<InputRange> {
    vec![InputRange {
        count: n_in,
        bits: INPUT_BITS,
    }]
}

pub fn outputs() -> Vec<U256> {
    let r = zkinfer_escrow::bind::SCALAR_MODULUS;
    vec![U256::from(42), r - U256::from(7)]
}

pub struct World {
    pub chain: Chain,
    pub escrow: Escrow,
    pub verifier: Address,
    pub token: Address,
    pub deployer: Address,
    pub owner: Address,
    pub buyer: Address,
    pub provider: Address,
    pub provider2: Address,
    pub outsider: Address,
    proof_counter: u64,
}

pub const ONE_ETHER: u128 = 1_000_000_000_000_000_000;

impl World {
    pub fn new() -> Self {
        Self::with_chain_id(CHAIN_ID)
    }

    pub fn with_chain_id(chain_id: u64) -> Self {
        let mut chain = Chain::new().with_chain_id(chain_id);
        let deployer = addr(0xde);
        let (owner, buyer, provider, provider2, outsider) =
            (addr(0x0a), addr(0x0b), addr(0x01), addr(0x02), addr(0x0e));
        for who in [deployer, owner, buyer, provider, provider2, outsider] {
            chain.fund(who, U256::from(100 * ONE_ETHER));
        }
        let (escrow, _) = Escrow::deploy(&mut chain, contracts(), deployer).unwrap();
        let mut w = Self {
            chain,
            escrow,
            verifier: Address::ZERO,
            token: Address::ZERO,
            deployer,
            owner,
            buyer,
            provider,
            provider2,
            outsider,
            proof_counter: 0,
        };
        w.verifier = w.deploy("test/InstanceCheckVerifier.sol", "InstanceCheckVerifier");
        w.token = w.deploy("test/TestTokens.sol", "TestToken");
        let token = w.token;
        for who in [buyer, provider, provider2, outsider] {
            w.fund_token(token, who, U256::from(1_000_000 * PRICE));
        }
        w
    }

    pub fn deploy(&mut self, file: &str, name: &str) -> Address {
        let code = contracts().get(file, name).unwrap().creation.clone();
        self.chain
            .deploy(self.deployer, &code, &[], U256::ZERO)
            .unwrap()
            .address
    }

    /// Mints `amount` of `token` to `who` and approves the escrow for all of it.
    pub fn fund_token(&mut self, token: Address, who: Address, amount: U256) {
        self.ok(
            self.deployer,
            token,
            U256::ZERO,
            &TestToken::mintCall { to: who, amount },
        );
        let escrow = self.escrow.address;
        self.ok(
            who,
            token,
            U256::ZERO,
            &TestToken::approveCall {
                spender: escrow,
                amount: U256::MAX,
            },
        );
    }

    pub fn token_balance(&mut self, token: Address, who: Address) -> U256 {
        let r = self
            .chain
            .view(
                Address::ZERO,
                token,
                &TestToken::balanceOfCall { account: who }.abi_encode(),
            )
            .unwrap();
        TestToken::balanceOfCall::abi_decode_returns(&r.output).unwrap()
    }

    /// Sends a call to any contract and requires success.
    pub fn ok<C: SolCall>(&mut self, from: Address, to: Address, value: U256, call: &C) -> Outcome {
        let r = self
            .chain
            .call(from, to, &call.abi_encode(), value)
            .unwrap();
        assert!(r.is_success(), "{} failed: {}", C::SIGNATURE, r);
        r
    }

    /// Sends a call to the escrow; the receipt, success or not.
    pub fn send<C: SolCall>(&mut self, from: Address, value: U256, call: &C) -> Outcome {
        self.escrow
            .send(&mut self.chain, from, value, call)
            .unwrap()
    }

    /// Sends a call to the escrow and requires success.
    pub fn send_ok<C: SolCall>(&mut self, from: Address, value: U256, call: &C) -> Outcome {
        let r = self.send(from, value, call);
        assert!(
            r.is_success(),
            "{} failed: {}",
            C::SIGNATURE,
            describe_failure(&r)
        );
        r
    }

    pub fn params(&self, token: Address) -> ListingParams {
        ListingParams {
            verifier: self.verifier,
            token,
            settingsDigest: digest(),
            nInputs: N_IN,
            nOutputs: N_OUT,
            price: PRICE,
            royaltyBps: ROYALTY_BPS,
            collateral: COLLATERAL,
            claimTimeout: CLAIM_TIMEOUT,
            minClaimWindow: MIN_CLAIM_WINDOW,
        }
    }

    /// The example statement of a listing by `owner` (inputs 1, 2, ... in range, outputs 7, 8, ...) with a
    /// proof registered for `digest` and the given counts, as an owner proves its own model once.
    pub fn example(&mut self, owner: Address, digest: U256, n_in: u32, n_out: u32) -> ListingProof {
        // counts beyond MAX_INSTANCES are refused before the example is read: keep those examples small
        let ins: Vec<U256> = (0..n_in.min(4097)).map(|i| U256::from(i + 1)).collect();
        let outs: Vec<U256> = (0..n_out.min(4097)).map(|i| U256::from(i + 7)).collect();
        let mut inst = ins.clone();
        inst.extend_from_slice(&outs);
        inst.push(digest);
        inst.push(listing_bind_u256(
            self.chain.chain_id(),
            self.escrow.address,
            owner,
        ));
        let proof = self.prove_instances(inst);
        ListingProof {
            inputs: ins,
            outputs: outs,
            proof: proof.into(),
        }
    }

    /// The list call of `p` by `owner`: one input range, and an example proof the test verifier accepts
    /// (registered for the listing's own digest and counts).
    pub fn list_call_by(&mut self, owner: Address, p: ListingParams) -> ZkinferEscrow::listCall {
        let example = self.example(owner, p.settingsDigest, p.nInputs, p.nOutputs);
        let ranges = ranges(p.nInputs);
        ZkinferEscrow::listCall { p, ranges, example }
    }

    pub fn list_call(&mut self, p: ListingParams) -> ZkinferEscrow::listCall {
        let owner = self.owner;
        self.list_call_by(owner, p)
    }

    pub fn list_with(&mut self, params: ListingParams) -> U256 {
        let owner = self.owner;
        let call = self.list_call(params);
        let r = self.send_ok(owner, U256::ZERO, &call);
        ZkinferEscrow::listCall::abi_decode_returns(&r.output).unwrap()
    }

    pub fn list_eth(&mut self) -> U256 {
        let p = self.params(ETH);
        self.list_with(p)
    }

    pub fn list_token(&mut self) -> U256 {
        let p = self.params(self.token);
        self.list_with(p)
    }

    pub fn listing_token(&mut self, listing: U256) -> Address {
        self.escrow.listing(&self.chain, listing).unwrap().token
    }

    pub fn listing_price(&mut self, listing: U256) -> (U256, U256) {
        let l = self.escrow.listing(&self.chain, listing).unwrap();
        (U256::from(l.price), U256::from(l.collateral))
    }

    /// The ETH a call must carry for `amount` on `listing` (the amount for ETH listings, else zero).
    pub fn value_for(&mut self, listing: U256, amount: U256) -> U256 {
        if self.listing_token(listing) == ETH {
            amount
        } else {
            U256::ZERO
        }
    }

    pub fn create_job_by(&mut self, buyer: Address, listing: U256, inputs: Vec<U256>) -> U256 {
        let (price, _) = self.listing_price(listing);
        let value = self.value_for(listing, price);
        let deadline = self.chain.timestamp() + JOB_DURATION;
        self.escrow
            .create_job(&mut self.chain, buyer, listing, inputs, deadline, value)
            .unwrap()
            .0
    }

    pub fn create_job(&mut self, listing: U256) -> U256 {
        let buyer = self.buyer;
        self.create_job_by(buyer, listing, inputs())
    }

    pub fn claim_call(&mut self, job: U256, provider: Address) -> Outcome {
        let listing = U256::from(self.job(job).listingId);
        let (_, collateral) = self.listing_price(listing);
        let value = self.value_for(listing, collateral);
        self.send(provider, value, &ZkinferEscrow::claimCall { jobId: job })
    }

    pub fn claim(&mut self, job: U256, provider: Address) -> Outcome {
        let r = self.claim_call(job, provider);
        assert!(r.is_success(), "claim failed: {}", describe_failure(&r));
        r
    }

    pub fn job(&mut self, job: U256) -> zkinfer_escrow::escrow::JobView {
        self.escrow.job(&self.chain, job).unwrap()
    }

    pub fn state(&mut self, job: U256) -> u8 {
        self.job(job).state.into()
    }

    /// The job's bounty (slashed collateral waiting for its settling provider).
    pub fn bounty(&mut self, job: U256) -> U256 {
        self.escrow
            .view(&self.chain, &ZkinferEscrow::bountyCall::new((job,)))
            .unwrap()
    }

    /// Burned money in `token`.
    pub fn burned(&mut self, token: Address) -> U256 {
        self.escrow
            .view(&self.chain, &ZkinferEscrow::burnedCall::new((token,)))
            .unwrap()
    }

    pub fn credit(&mut self, who: Address, token: Address) -> U256 {
        self.escrow.credit(&self.chain, who, token).unwrap()
    }

    /// The instance vector a proof for (job, provider) carries: inputs ‖ outputs ‖ digest ‖ binding value.
    pub fn instances(
        &self,
        job: U256,
        provider: Address,
        inputs: &[U256],
        outputs: &[U256],
        digest: U256,
    ) -> Vec<U256> {
        let mut v = inputs.to_vec();
        v.extend_from_slice(outputs);
        v.push(digest);
        v.push(bind_u256(
            self.chain.chain_id(),
            self.escrow.address,
            job,
            provider,
        ));
        v
    }

    /// "Proves" `instances`: registers a fresh proof for exactly them with the test verifier, as a prover
    /// would make a proof that verifies only for its own instances.
    pub fn prove_instances(&mut self, instances: Vec<U256>) -> Vec<u8> {
        self.proof_counter += 1;
        let proof = keccak256(self.proof_counter.to_be_bytes())
            .to_vec()
            .repeat(4);
        let verifier = self.verifier;
        self.ok(
            self.deployer,
            verifier,
            U256::ZERO,
            &InstanceCheckVerifier::registerCall {
                instances,
                proof: proof.clone().into(),
            },
        );
        proof
    }

    /// A valid proof of the default job's outputs for (job, provider).
    pub fn prove(&mut self, job: U256, provider: Address) -> Vec<u8> {
        let inst = self.instances(job, provider, &inputs(), &outputs(), digest());
        self.prove_instances(inst)
    }

    pub fn submit_with(
        &mut self,
        job: U256,
        provider: Address,
        inputs: Vec<U256>,
        outputs: Vec<U256>,
        proof: Vec<u8>,
    ) -> Outcome {
        let call = ZkinferEscrow::submitCall {
            jobId: job,
            inputs,
            outputs,
            proof: proof.into(),
        };
        self.send(provider, U256::ZERO, &call)
    }

    pub fn submit(&mut self, job: U256, provider: Address, proof: Vec<u8>) -> Outcome {
        self.submit_with(job, provider, inputs(), outputs(), proof)
    }

    pub fn withdraw(&mut self, who: Address, token: Address) -> Outcome {
        self.send(
            who,
            U256::ZERO,
            &ZkinferEscrow::withdrawCall { token, to: who },
        )
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

/// The escrow's error in a reverted receipt; panics when it did not revert with one.
pub fn err(r: &Outcome) -> ZkinferEscrowErrors {
    decode_error(r).unwrap_or_else(|| panic!("expected an escrow error, got {}", r))
}

/// The escrow's error name in a reverted receipt.
pub fn err_name(r: &Outcome) -> String {
    let e = format!("{:?}", err(r));
    e.split('(').next().unwrap_or_default().to_string()
}

/// The first log of `r` that decodes as event `E`.
pub fn event<E: SolEvent>(r: &Outcome) -> E {
    events::<E>(r)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {} event", E::SIGNATURE))
}

pub fn events<E: SolEvent>(r: &Outcome) -> Vec<E> {
    r.logs
        .iter()
        .filter_map(|l: &Log| E::decode_log(l).ok().map(|d| d.data))
        .collect()
}

pub fn u(x: u128) -> U256 {
    U256::from(x)
}

pub fn royalty() -> U256 {
    u(PRICE) * U256::from(ROYALTY_BPS) / U256::from(10_000)
}

/// What the provider is credited on settlement: price - royalty + collateral.
pub fn provider_share() -> U256 {
    u(PRICE) - royalty() + u(COLLATERAL)
}
