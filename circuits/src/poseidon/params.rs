//! circomlib's Poseidon parameters over BN254: `x^5`, 8 full rounds, the partial rounds of each width, and
//! the round constants and MDS matrix the Grain LFSR generates ([`super::grain`]). Generated once per width
//! on first use (well under a millisecond each).

use super::commitment::COMMIT_WIDTH;
use super::grain::Grain;
use super::PoseidonError;
use crate::Fr;
use std::sync::OnceLock;

/// Smallest supported width (one input).
pub const MIN_WIDTH: usize = 2;
/// Largest supported width (12 inputs): the widths `light-poseidon` also provides, against which every
/// width is tested.
pub const MAX_WIDTH: usize = 13;
/// Full rounds of every width (half before the partial rounds, half after).
pub const FULL_ROUNDS: usize = 8;
/// circomlib's partial rounds for widths `2..=17` (`PARTIAL_ROUNDS[t - 2]`).
pub const PARTIAL_ROUNDS: [usize; 16] = [
    56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
];

/// The constants of one width.
#[derive(Debug, Clone)]
pub struct PoseidonParams {
    /// The state width `t` (inputs + 1).
    pub width: usize,
    /// Full rounds (8).
    pub rounds_f: usize,
    /// Partial rounds.
    pub rounds_p: usize,
    /// `round_constants[r][i]`, added to state element `i` at the start of round `r`.
    pub round_constants: Vec<Vec<Fr>>,
    /// The MDS matrix: the new state is `new[i] = sum_j mds[i][j] * state[j]`.
    pub mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// Total rounds.
    pub fn rounds(&self) -> usize {
        self.rounds_f + self.rounds_p
    }

    /// Whether round `r` is a full round (S-box on every element).
    pub fn is_full_round(&self, r: usize) -> bool {
        r < self.rounds_f / 2 || r >= self.rounds_f / 2 + self.rounds_p
    }

    fn generate(width: usize) -> Self {
        let rounds_p = PARTIAL_ROUNDS[width - 2];
        let mut grain = Grain::new(width, FULL_ROUNDS, rounds_p);
        let round_constants = (0..FULL_ROUNDS + rounds_p)
            .map(|_| (0..width).map(|_| grain.next_round_constant()).collect())
            .collect();
        // a Cauchy matrix 1 / (x_i + y_j) from 2t distinct seeds, redrawn as the script does when two seeds
        // coincide or a sum is zero (never, for these widths)
        let mds = loop {
            let seeds: Vec<Fr> = (0..2 * width).map(|_| grain.next_reduced()).collect();
            let distinct =
                (0..seeds.len()).all(|i| (i + 1..seeds.len()).all(|j| seeds[i] != seeds[j]));
            if !distinct {
                continue;
            }
            let (xs, ys) = seeds.split_at(width);
            let rows: Option<Vec<Vec<Fr>>> = xs
                .iter()
                .map(|x| {
                    ys.iter()
                        .map(|y| Option::<Fr>::from((*x + y).invert()))
                        .collect()
                })
                .collect();
            if let Some(rows) = rows {
                break rows;
            }
        };
        Self {
            width,
            rounds_f: FULL_ROUNDS,
            rounds_p,
            round_constants,
            mds,
        }
    }
}

static CACHE: [OnceLock<PoseidonParams>; MAX_WIDTH - MIN_WIDTH + 1] =
    [const { OnceLock::new() }; MAX_WIDTH - MIN_WIDTH + 1];

/// The parameters of width `width` (`MIN_WIDTH..=MAX_WIDTH`), generated on first use.
pub fn params(width: usize) -> Result<&'static PoseidonParams, PoseidonError> {
    match CACHE.get(width.wrapping_sub(MIN_WIDTH)) {
        Some(cell) => Ok(cell.get_or_init(|| PoseidonParams::generate(width))),
        None => Err(PoseidonError::UnsupportedWidth { width }),
    }
}

const _: () = assert!(COMMIT_WIDTH >= MIN_WIDTH && COMMIT_WIDTH <= MAX_WIDTH);

/// The commitment's parameters (width [`COMMIT_WIDTH`]), for a circuit's `configure`, which cannot fail.
pub fn commitment_params() -> &'static PoseidonParams {
    CACHE[COMMIT_WIDTH - MIN_WIDTH].get_or_init(|| PoseidonParams::generate(COMMIT_WIDTH))
}
