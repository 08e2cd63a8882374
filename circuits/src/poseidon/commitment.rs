//! The commitment to a vector of quantised values: packing and the Poseidon chain (the spec is in the
//! module docs of [`super`]).

use super::params::{MAX_WIDTH, MIN_WIDTH};
use super::permutation::hash;
use super::PoseidonError;
use crate::field::fr_from_i128;
use crate::Fr;
use halo2_proofs::halo2curves::ff::Field;

/// Inputs of each Poseidon call of the commitment chain: circomlib's `Poseidon(5)` (width 6), the widest
/// that every circomlib-compatible library has, `poseidon-solidity`'s `PoseidonT6` included.
pub const COMMIT_INPUTS: usize = 5;
/// Width of the commitment's permutation.
pub const COMMIT_WIDTH: usize = COMMIT_INPUTS + 1;
/// Bits of one packed value.
pub const VALUE_BITS: u32 = 24;
/// Values packed into one field element (240 bits, below the field's 253).
pub const VALUES_PER_ELEMENT: usize = 10;
/// Smallest committable value.
pub const MIN_VALUE: i128 = 0;
/// Largest committable value (`2^24 - 1`).
pub const MAX_VALUE: i128 = (1 << VALUE_BITS) - 1;
/// The offset that makes a signed value in `[-2^23, 2^23)` committable: a signed tensor (weights, say) is
/// committed as `v + 2^23`, as the circuit's stored values carry their encoding's offset.
pub const SIGNED_OFFSET: i128 = 1 << (VALUE_BITS - 1);

/// The committable value of a signed value in `[-2^23, 2^23)`: `v + 2^23`.
pub fn signed_to_committed(v: i128) -> i128 {
    v + SIGNED_OFFSET
}

/// `2^(24 i)`, the weight of slot `i` of a packed element.
pub fn slot_weight(slot: usize) -> Fr {
    Fr::from(2u64).pow_vartime([(VALUE_BITS as u64) * slot as u64])
}

/// Packs values (each in `[0, 2^24)`) ten to an element: `P_k = sum_{i<10} u_{10k+i} * 2^(24 i)`, the
/// last element padded with values 0.
pub fn pack_values(values: &[i128]) -> Result<Vec<Fr>, PoseidonError> {
    if let Some((index, &value)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !(MIN_VALUE..=MAX_VALUE).contains(*v))
    {
        return Err(PoseidonError::ValueOutOfRange { index, value });
    }
    Ok(values
        .chunks(VALUES_PER_ELEMENT)
        .map(|chunk| {
            (0..VALUES_PER_ELEMENT)
                .map(|i| {
                    let v = chunk.get(i).copied().unwrap_or(0);
                    fr_from_i128(v) * slot_weight(i)
                })
                .sum()
        })
        .collect())
}

/// The elements the chain absorbs: `[salt, n, P_1, ..., P_m]`.
pub fn commitment_elements(values: &[i128], salt: Fr) -> Result<Vec<Fr>, PoseidonError> {
    let mut elements = vec![salt, Fr::from(values.len() as u64)];
    elements.extend(pack_values(values)?);
    Ok(elements)
}

/// Where element `e` of a chain with `inputs` inputs per call goes: `(call, input index)`, the input index
/// counted from 0 (state index minus 1). Call 0 takes elements `0..inputs`; call `k >= 1` takes the previous
/// hash as input 0 and the next `inputs - 1` elements as inputs `1..inputs`.
pub fn chain_position(e: usize, inputs: usize) -> (usize, usize) {
    if e < inputs {
        (0, e)
    } else {
        let rest = e - inputs;
        let per_call = inputs.saturating_sub(1).max(1);
        (1 + rest / per_call, 1 + rest % per_call)
    }
}

/// Poseidon calls a chain of `len` elements takes with `inputs` inputs per call (at least one).
pub fn chain_calls(len: usize, inputs: usize) -> usize {
    let per_call = inputs.saturating_sub(1).max(1);
    1 + len.saturating_sub(inputs).div_ceil(per_call)
}

/// The inputs of every call of the chain over `elements`, with `inputs` inputs per call (2 to 12): call 0
/// gets `elements[0..inputs]`, call `k` gets `[h_{k-1}]` and the next `inputs - 1` elements; missing
/// elements of the last call are 0. Returns each call's inputs and the final hash.
pub fn chain_trace(elements: &[Fr], inputs: usize) -> Result<(Vec<Vec<Fr>>, Fr), PoseidonError> {
    if !(MIN_WIDTH + 1..=MAX_WIDTH).contains(&(inputs + 1)) {
        return Err(PoseidonError::UnsupportedWidth { width: inputs + 1 });
    }
    let calls = chain_calls(elements.len(), inputs);
    let mut blocks = vec![vec![Fr::zero(); inputs]; calls];
    for (e, value) in elements.iter().enumerate() {
        let (call, slot) = chain_position(e, inputs);
        blocks[call][slot] = *value;
    }
    let mut h = Fr::zero();
    for (k, block) in blocks.iter_mut().enumerate() {
        if k > 0 {
            block[0] = h;
        }
        h = hash(block)?;
    }
    Ok((blocks, h))
}

/// The commitment chain over `elements` with `inputs` inputs per call (see [`chain_trace`]).
pub fn chain_hash(elements: &[Fr], inputs: usize) -> Result<Fr, PoseidonError> {
    Ok(chain_trace(elements, inputs)?.1)
}

/// The commitment to `values` (each in `[0, 2^24)`) under `salt`: the chain of
/// `Poseidon(5)` calls over `[salt, n, P_1, ..., P_m]`.
pub fn commit(values: &[i128], salt: Fr) -> Result<Fr, PoseidonError> {
    chain_hash(&commitment_elements(values, salt)?, COMMIT_INPUTS)
}

/// What the owner of committed data keeps to open the commitment: the values and the salt. Its JSON is
/// `{"values": [..], "salt": "0x…"}` (the salt as big-endian hex, as JavaScript and Solidity write it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// The committed values (stored quantised values, each in `[0, 2^24)`).
    pub values: Vec<i128>,
    /// The salt: a uniformly random field element (`Fr::random(OsRng)`), secret to the owner and whoever
    /// they open it to.
    #[serde(with = "super::hex::be_hex")]
    pub salt: Fr,
}

impl Opening {
    /// The commitment this opening opens.
    pub fn commitment(&self) -> Result<Fr, PoseidonError> {
        commit(&self.values, self.salt)
    }

    /// Whether this opening opens `commitment`.
    pub fn opens(&self, commitment: &Fr) -> Result<bool, PoseidonError> {
        Ok(self.commitment()? == *commitment)
    }
}
