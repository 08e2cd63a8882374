//! Typed calls of a deployed `ZkinferEscrow` on a [`Chain`].

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolInterface};

use crate::bindings::ZkinferEscrow::{
    self, InputRange, ListingParams, ListingProof, ZkinferEscrowErrors,
};
use zkinfer_evm::runtime::{Chain, Deployed, Outcome, Status};

use crate::contracts::Contracts;
use crate::error::EscrowError;

/// A deployed escrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escrow {
    /// Its address.
    pub address: Address,
}

/// A job as the contract stores it.
pub type JobView = ZkinferEscrow::Job;
/// A listing as the contract stores it.
pub type ListingView = ZkinferEscrow::Listing;

/// The escrow's custom error in a revert, if the revert data is one.
pub fn decode_error(outcome: &Outcome) -> Option<ZkinferEscrowErrors> {
    if outcome.status != Status::Revert {
        return None;
    }
    ZkinferEscrowErrors::abi_decode(&outcome.output).ok()
}

/// A failed outcome in words: the escrow's error (name and fields) when it is one, else the raw revert.
pub fn describe_failure(outcome: &Outcome) -> String {
    match decode_error(outcome) {
        Some(e) => format!("{e:?}"),
        None => outcome.to_string(),
    }
}

impl Escrow {
    /// Deploys the escrow from `from`.
    pub fn deploy(
        chain: &mut Chain,
        contracts: &Contracts,
        from: Address,
    ) -> Result<(Self, Deployed), EscrowError> {
        let deployed = chain.deploy(from, &contracts.escrow()?.creation, &[], U256::ZERO)?;
        Ok((
            Self {
                address: deployed.address,
            },
            deployed,
        ))
    }

    /// Sends `call` from `from` with `value` wei and commits it; a revert is an `Outcome` with `Status::Revert`, not an error.
    pub fn send<C: SolCall>(
        &self,
        chain: &mut Chain,
        from: Address,
        value: U256,
        call: &C,
    ) -> Result<Outcome, EscrowError> {
        Ok(chain.call(from, self.address, &call.abi_encode(), value)?)
    }

    /// Sends `call` and requires success; returns its decoded return value and the outcome.
    pub fn execute<C: SolCall>(
        &self,
        chain: &mut Chain,
        from: Address,
        value: U256,
        call: &C,
    ) -> Result<(C::Return, Outcome), EscrowError> {
        let outcome = self.send(chain, from, value, call)?;
        let ret = self.decode::<C>(&outcome)?;
        Ok((ret, outcome))
    }

    /// Calls a view function.
    pub fn view<C: SolCall>(&self, chain: &Chain, call: &C) -> Result<C::Return, EscrowError> {
        let outcome = chain.view(Address::ZERO, self.address, &call.abi_encode())?;
        self.decode::<C>(&outcome)
    }

    fn decode<C: SolCall>(&self, outcome: &Outcome) -> Result<C::Return, EscrowError> {
        if !outcome.is_success() {
            return Err(EscrowError::CallFailed {
                to: format!("ZkinferEscrow.{}", C::SIGNATURE),
                outcome: describe_failure(outcome),
            });
        }
        C::abi_decode_returns(&outcome.output).map_err(|source| EscrowError::Decode {
            function: C::SIGNATURE.to_string(),
            source,
        })
    }

    /// Lists a model with its input ranges and the example statement and proof its verifier must accept
    /// (bound to [`crate::bind::listing_bind_u256`] of `owner`); returns the listing id.
    pub fn list(
        &self,
        chain: &mut Chain,
        owner: Address,
        params: ListingParams,
        ranges: Vec<InputRange>,
        example: ListingProof,
    ) -> Result<(U256, Outcome), EscrowError> {
        self.execute(
            chain,
            owner,
            U256::ZERO,
            &ZkinferEscrow::listCall {
                p: params,
                ranges,
                example,
            },
        )
    }

    /// A listing's input ranges.
    pub fn input_ranges(
        &self,
        chain: &Chain,
        listing_id: U256,
    ) -> Result<Vec<InputRange>, EscrowError> {
        self.view(
            chain,
            &ZkinferEscrow::getInputRangesCall {
                listingId: listing_id,
            },
        )
    }

    /// Creates a job for `inputs` with `value` wei attached (the price for an ETH listing, else zero).
    pub fn create_job(
        &self,
        chain: &mut Chain,
        buyer: Address,
        listing_id: U256,
        inputs: Vec<U256>,
        deadline: u64,
        value: U256,
    ) -> Result<(U256, Outcome), EscrowError> {
        let call = ZkinferEscrow::createJobCall {
            listingId: listing_id,
            inputs,
            deadline: alloy_primitives::Uint::<40, 1>::saturating_from(deadline),
        };
        self.execute(chain, buyer, value, &call)
    }

    /// Claims a job with `value` wei attached (the collateral for an ETH listing, else zero).
    pub fn claim(
        &self,
        chain: &mut Chain,
        provider: Address,
        job_id: U256,
        value: U256,
    ) -> Result<Outcome, EscrowError> {
        Ok(self
            .execute(
                chain,
                provider,
                value,
                &ZkinferEscrow::claimCall { jobId: job_id },
            )?
            .1)
    }

    /// Submits outputs and proof for a claimed job.
    pub fn submit(
        &self,
        chain: &mut Chain,
        provider: Address,
        job_id: U256,
        inputs: Vec<U256>,
        outputs: Vec<U256>,
        proof: Vec<u8>,
    ) -> Result<Outcome, EscrowError> {
        let call = ZkinferEscrow::submitCall {
            jobId: job_id,
            inputs,
            outputs,
            proof: proof.into(),
        };
        Ok(self.execute(chain, provider, U256::ZERO, &call)?.1)
    }

    /// Withdraws `who`'s whole credit in `token` (zero address: ETH) to `to`; returns the amount.
    pub fn withdraw(
        &self,
        chain: &mut Chain,
        who: Address,
        token: Address,
        to: Address,
    ) -> Result<(U256, Outcome), EscrowError> {
        self.execute(
            chain,
            who,
            U256::ZERO,
            &ZkinferEscrow::withdrawCall { token, to },
        )
    }

    /// A job's stored record.
    pub fn job(&self, chain: &Chain, job_id: U256) -> Result<JobView, EscrowError> {
        self.view(chain, &ZkinferEscrow::getJobCall { jobId: job_id })
    }

    /// A listing's stored record.
    pub fn listing(&self, chain: &Chain, listing_id: U256) -> Result<ListingView, EscrowError> {
        self.view(
            chain,
            &ZkinferEscrow::getListingCall {
                listingId: listing_id,
            },
        )
    }

    /// What `who` may withdraw in `token`.
    pub fn credit(&self, chain: &Chain, who: Address, token: Address) -> Result<U256, EscrowError> {
        self.view(chain, &ZkinferEscrow::creditCall::new((who, token)))
    }

    /// The contract's binding value for (job, provider) on this chain.
    pub fn bind_value(
        &self,
        chain: &Chain,
        job_id: U256,
        provider: Address,
    ) -> Result<U256, EscrowError> {
        self.view(
            chain,
            &ZkinferEscrow::bindValueCall {
                jobId: job_id,
                provider,
            },
        )
    }
}
