//! The Grain LFSR that generates Poseidon's round constants and MDS matrix, as the Poseidon authors'
//! reference script `generate_parameters_grain.sage` does, which is how circomlib's constants were made:
//!
//! - an 80-bit state initialised with the parameters, most significant bit first: field type (2 bits, 1 for
//!   a prime field), S-box (4 bits, 0 for `x^alpha`), field size `n` (12 bits), width `t` (12 bits), full
//!   rounds `R_F` (10 bits), partial rounds `R_P` (10 bits), then 30 one bits;
//! - each step outputs `s[62] ^ s[51] ^ s[38] ^ s[23] ^ s[13] ^ s[0]` and shifts it in; the first 160
//!   outputs are discarded;
//! - bits are then drawn in pairs: when the first bit of a pair is 1 the second is output, otherwise the pair
//!   is discarded;
//! - a field element is `n` output bits read as a big-endian integer; a round constant is redrawn while it is
//!   `>= p`, an MDS seed is reduced modulo `p`.

use crate::Fr;
use halo2_proofs::halo2curves::ff::{FromUniformBytes, PrimeField};

/// Bits of BN254's scalar field, the `n` of the generator.
pub const FIELD_BITS: usize = 254;

/// The generator's state (index 0 is the oldest bit).
#[derive(Debug, Clone)]
pub struct Grain {
    bits: [bool; 80],
}

impl Grain {
    /// A generator for a prime field of `FIELD_BITS` bits, the `x^5` S-box, width `t` and the given rounds.
    pub fn new(t: usize, rounds_f: usize, rounds_p: usize) -> Self {
        let mut bits = [false; 80];
        let mut at = 0;
        let mut push = |value: usize, width: usize| {
            for i in (0..width).rev() {
                bits[at] = (value >> i) & 1 == 1;
                at += 1;
            }
        };
        push(1, 2); // prime field
        push(0, 4); // x^alpha S-box
        push(FIELD_BITS, 12);
        push(t, 12);
        push(rounds_f, 10);
        push(rounds_p, 10);
        push((1 << 30) - 1, 30);
        let mut grain = Self { bits };
        for _ in 0..160 {
            grain.step();
        }
        grain
    }

    fn step(&mut self) -> bool {
        let b = &self.bits;
        let new = b[62] ^ b[51] ^ b[38] ^ b[23] ^ b[13] ^ b[0];
        self.bits.copy_within(1.., 0);
        self.bits[79] = new;
        new
    }

    /// The next output bit (pairs whose first bit is 0 are discarded).
    fn next_bit(&mut self) -> bool {
        loop {
            let keep = self.step();
            let bit = self.step();
            if keep {
                return bit;
            }
        }
    }

    /// `FIELD_BITS` output bits as a 32-byte little-endian integer.
    fn next_integer(&mut self) -> [u8; 32] {
        let mut le = [0u8; 32];
        for i in (0..FIELD_BITS).rev() {
            if self.next_bit() {
                le[i / 8] |= 1 << (i % 8);
            }
        }
        le
    }

    /// A round constant: an integer below `p` (redrawn while it is not).
    pub fn next_round_constant(&mut self) -> Fr {
        loop {
            let mut repr = <Fr as PrimeField>::Repr::default();
            repr.as_mut().copy_from_slice(&self.next_integer());
            if let Some(f) = Option::<Fr>::from(Fr::from_repr(repr)) {
                return f;
            }
        }
    }

    /// An MDS seed: an integer reduced modulo `p`.
    pub fn next_reduced(&mut self) -> Fr {
        let mut wide = [0u8; 64];
        wide[..32].copy_from_slice(&self.next_integer());
        Fr::from_uniform_bytes(&wide)
    }
}
