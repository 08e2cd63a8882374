//! The native Poseidon permutation and circomlib's `Poseidon(n)` hash.
//!
//! Each round `r`: add `round_constants[r]`, apply `x^5` to every element (full round) or to element 0
//! (partial round), multiply by the MDS matrix. `Poseidon(x_1..x_n)` permutes `[0, x_1, ..., x_n]` (width
//! `n + 1`) and returns element 0, as circomlib's `Poseidon(n)` template, circomlibjs, `poseidon-lite` and
//! `light-poseidon`'s `new_circom(n)` do.

use super::params::{params, PoseidonParams};
use super::PoseidonError;
use crate::Fr;

fn pow5(x: Fr) -> Fr {
    let sq = x.square();
    sq.square() * x
}

fn mix(params: &PoseidonParams, state: &[Fr]) -> Vec<Fr> {
    params
        .mds
        .iter()
        .map(|row| row.iter().zip(state).map(|(m, s)| *m * s).sum())
        .collect()
}

/// Every intermediate value of one permutation, as the chip lays it out: `states[r]` is the input of round
/// `r` (`states[rounds]` the output), `squares[r]` the squares `(states[r][i] + c_r[i])^2` of the S-box
/// inputs (all of them in a full round, element 0's alone in a partial round).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermutationTrace {
    /// Round inputs and the final output (`rounds + 1` states of `width` elements).
    pub states: Vec<Vec<Fr>>,
    /// Per round, the squares of the S-box inputs.
    pub squares: Vec<Vec<Fr>>,
}

impl PermutationTrace {
    /// The permutation's output state.
    pub fn output(&self) -> &[Fr] {
        self.states.last().map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Runs the permutation on `input` (of the parameters' width), recording every round.
pub fn permutation_trace(
    params: &PoseidonParams,
    input: &[Fr],
) -> Result<PermutationTrace, PoseidonError> {
    if input.len() != params.width {
        return Err(PoseidonError::StateLength {
            width: params.width,
            got: input.len(),
        });
    }
    let mut states = vec![input.to_vec()];
    let mut squares = Vec::with_capacity(params.rounds());
    let mut state = input.to_vec();
    for (r, constants) in params.round_constants.iter().enumerate() {
        for (s, c) in state.iter_mut().zip(constants) {
            *s += c;
        }
        let boxed = if params.is_full_round(r) {
            params.width
        } else {
            1
        };
        squares.push(state[..boxed].iter().map(Fr::square).collect());
        for s in &mut state[..boxed] {
            *s = pow5(*s);
        }
        state = mix(params, &state);
        states.push(state.clone());
    }
    Ok(PermutationTrace { states, squares })
}

/// The permutation of `input` (of the parameters' width).
pub fn permute(params: &PoseidonParams, input: &[Fr]) -> Result<Vec<Fr>, PoseidonError> {
    let mut trace = permutation_trace(params, input)?;
    Ok(trace.states.pop().unwrap_or_default())
}

/// circomlib's `Poseidon(n)` of `inputs` (`1 <= n <= 12`): element 0 of the permutation of
/// `[0, inputs...]`.
pub fn hash(inputs: &[Fr]) -> Result<Fr, PoseidonError> {
    let params = params(inputs.len() + 1)?;
    let mut state = Vec::with_capacity(inputs.len() + 1);
    state.push(Fr::zero());
    state.extend_from_slice(inputs);
    let out = permute(params, &state)?;
    Ok(out[0])
}
