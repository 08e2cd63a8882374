//! The binding value of an on-chain job: the last public instance of a proof the escrow pays for.
//!
//! `bind = uint256(keccak256(abi.encodePacked(chainid, escrow, jobId, provider))) mod r`, exactly as
//! `ZkinferEscrow.bindValue` computes it: chain id and job id as 32-byte big-endian words, the two addresses
//! as their 20 bytes, r the BN254 scalar field order. A provider computes it for its own address and passes
//! it to `zkinfer prove --bind HEX` ([`bind_hex`]); a proof made with it verifies for no other chain, escrow,
//! job or provider.

use alloy_primitives::{keccak256, uint, Address, U256};
use halo2_proofs::halo2curves::ff::PrimeField;
use zkinfer_circuits::Fr;

/// The BN254 scalar field order r (`ZkinferEscrow.SCALAR_MODULUS`).
pub const SCALAR_MODULUS: U256 =
    uint!(21888242871839275222246405745257275088548364400416034343698204186575808495617_U256);

/// The binding value as the integer the contract compares with the proof's last instance.
pub fn bind_u256(chain_id: u64, contract: Address, job_id: U256, provider: Address) -> U256 {
    let mut packed = Vec::with_capacity(104);
    packed.extend_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    packed.extend_from_slice(contract.as_slice());
    packed.extend_from_slice(&job_id.to_be_bytes::<32>());
    packed.extend_from_slice(provider.as_slice());
    U256::from_be_bytes(keccak256(&packed).0) % SCALAR_MODULUS
}

/// The binding value of a listing's example proof made by `owner`: job id 0 (`ZkinferEscrow.listingBindValue`).
pub fn listing_bind_u256(chain_id: u64, contract: Address, owner: Address) -> U256 {
    bind_u256(chain_id, contract, U256::ZERO, owner)
}

/// The binding value as a BN254 scalar: the proof's last public instance.
pub fn bind_value(chain_id: u64, contract: Address, job_id: U256, provider: Address) -> Fr {
    let v = bind_u256(chain_id, contract, job_id, provider);
    // v < r, so the canonical representation always parses; zero is unreachable but kept total.
    u256_to_fr(v).unwrap_or(Fr::zero())
}

/// [`bind_value`] as the 64-digit hex that `zkinfer prove --bind` and proof files use.
pub fn bind_hex(chain_id: u64, contract: Address, job_id: U256, provider: Address) -> String {
    zkinfer_circuits::field::fr_to_hex(&bind_value(chain_id, contract, job_id, provider))
}

/// A scalar as the 256-bit integer the EVM sees (its canonical value).
pub fn fr_to_u256(f: &Fr) -> U256 {
    U256::from_le_bytes(f.to_repr())
}

/// An integer below r as a scalar; `None` for r or above.
pub fn u256_to_fr(v: U256) -> Option<Fr> {
    Option::from(Fr::from_repr(v.to_le_bytes::<32>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_is_the_scalar_field_order() {
        assert_eq!(fr_to_u256(&-Fr::one()) + U256::from(1), SCALAR_MODULUS);
        assert_eq!(u256_to_fr(SCALAR_MODULUS), None);
        assert_eq!(u256_to_fr(SCALAR_MODULUS - U256::from(1)), Some(-Fr::one()));
    }

    #[test]
    fn bind_separates_every_field_and_round_trips() {
        let a = Address::repeat_byte(0xaa);
        let p = Address::repeat_byte(0x01);
        let b = bind_value(1, a, U256::from(7), p);
        assert_ne!(b, bind_value(2, a, U256::from(7), p));
        assert_ne!(
            b,
            bind_value(1, Address::repeat_byte(0xab), U256::from(7), p)
        );
        assert_ne!(b, bind_value(1, a, U256::from(8), p));
        assert_ne!(
            b,
            bind_value(1, a, U256::from(7), Address::repeat_byte(0x02))
        );
        assert_eq!(fr_to_u256(&b), bind_u256(1, a, U256::from(7), p));
        let h = bind_hex(1, a, U256::from(7), p);
        assert_eq!(zkinfer_circuits::field::fr_from_hex(&h), Some(b));
    }
}
