//! Choosing the circuit's shape: the smallest-cost (k, tile B x K, lanes L, dot tile P) that fits the model's
//! rows, then the widest lookup tables that fit the rows k already pays for ("size tables to k, not k to
//! tables"). The dot tile (P pairs) is there only when the model has products of two activations.
//!
//! Cost model: relative proving cost per row of each kind of column, measured on halo2-axiom at degree 4-5
//! (where every polynomial is coset-FFT'd for the quotient in 4 parts, which dominates CPU proving time).
//! A small-valued advice column costs 6 (its commitment MSM skips zero digits, so small non-negative values
//! are cheap), a fixed column 4 (no MSM at proving time, only FFTs), a lookup argument 28 (permuted input
//! and table columns plus a grand product, all full-size values), an equality-enabled column 5 (its share
//! of the permutation argument). The cost of a layout is `2^k` times the sum over its columns.
//!
//! These weights were fitted on affine lanes at degree 4. Limb lookups have one input column since, so their
//! permuted columns are small values, and limb layouts have degree 5 (3 equality columns per grand product):
//! both are cheaper than the weights say. They were not refitted, so the chooser may weigh lookups against
//! rows too heavily for limb layouts (bench/results/prover_costs.md has the phase costs after the change).

use super::ModelShape;
use crate::error::{CircuitError, Result};
use crate::settings::{LaneGate, LaneKind, LayoutParams, LimbRows};
use serde::{Deserialize, Serialize};

/// Rows at the end of the domain kept for halo2's blinding factors and the last-row check (a test checks
/// that this covers `cs.blinding_factors() + 1` for every layout).
pub const RESERVED_ROWS: usize = 10;
/// Largest k we lay out.
pub const MAX_K: u32 = 26;
const TILES: [(usize, usize); 9] = [
    (1, 1),
    (2, 1),
    (2, 2),
    (4, 2),
    (4, 4),
    (8, 4),
    (8, 8),
    (16, 8),
    (16, 16),
];
/// Wider tiles, tried only where they keep the table width of the tiles above (see [`choose_layout`]).
const SHARED_TILES: [(usize, usize); 1] = [(32, 16)];
const LANES: [usize; 4] = [1, 2, 4, 8];
/// Position lanes of the tile tried ([`LayoutParams::tile_positions`]).
const TILE_POSITIONS: [usize; 4] = [1, 2, 4, 8];
/// Dot tile widths tried when the model has products of two activations.
const DOT_PAIRS: [usize; 5] = [1, 2, 4, 8, 16];

/// Usable rows of a 2^k circuit.
pub fn usable_rows(k: u32) -> usize {
    (1usize << k).saturating_sub(RESERVED_ROWS)
}

/// What calibration optimises for, as EZKL users expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Fewest rows: lookup tables of at least 2^10 entries.
    #[default]
    Resources,
    /// Precision: tables of at least 2^12 entries (4x the resolution of `Resources` in every activation).
    Accuracy,
}

impl Target {
    /// The narrowest lookup tables the target allows: the width of the trial quantisation whose plan
    /// measures the model's rows.
    pub fn min_lookup_bits(self) -> u32 {
        self.bits_range().0
    }

    fn bits_range(self) -> (u32, u32) {
        match self {
            Target::Resources => (10, 16),
            Target::Accuracy => (12, 20),
        }
    }

    /// The narrowest and widest limb tables with limb lanes: values of `2t + 1` bits, 17 to 19 for
    /// `Resources` (the table sets no floor on k above 2^9 rows), 21 for `Accuracy`.
    fn limb_bits_range(self) -> (u32, u32) {
        match self {
            Target::Resources => (8, 9),
            Target::Accuracy => (10, 10),
        }
    }
}

/// The chosen shape and its estimated cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutChoice {
    /// log2 of the number of rows.
    pub k: u32,
    /// The layout.
    pub layout: LayoutParams,
    /// Estimated cost (rows times per-row column cost).
    pub cost: f64,
}

/// Rows of the tile (with its reserved first row): `B x K` with `P` position lanes, each group of positions
/// sharing a matrix taken P at a time.
pub(super) fn tile_rows(shape: &ModelShape, b: usize, k: usize, p: usize) -> usize {
    1 + shape
        .dense
        .iter()
        .map(|&(r, n, m)| r.div_ceil(p.max(1)) * m.div_ceil(k) * n.div_ceil(b))
        .sum::<usize>()
}

/// Rows of the dot tile with P pairs per row (with its reserved first row), 0 without one.
pub(super) fn dot_rows(shape: &ModelShape, p: usize) -> usize {
    match p {
        0 => 0,
        p => {
            1 + shape
                .dots
                .iter()
                .map(|&(outs, depth)| outs * depth.div_ceil(p))
                .sum::<usize>()
        }
    }
}

fn table_rows(shape: &ModelShape, bits: u32, limbs: bool) -> usize {
    match limbs {
        // the range table alone
        true => 1 + (1usize << bits),
        false => 1 + (1 + shape.tables) * (1usize << bits),
    }
}

/// The lane layouts the chooser tries: affine lanes, or limb lanes in each row form.
const LIMB_FORMS: [LimbRows; 3] = [LimbRows::Two, LimbRows::One, LimbRows::OneLastLaneTwo];

/// Rows of `lane_rows` lane rows on `l` lanes of `kind` (`usize::MAX` where the kind does not exist on
/// `l` lanes: the mixed limb layout on one lane).
fn lane_height(lane_rows: usize, l: usize, kind: LaneKind) -> usize {
    if l < 2
        && matches!(
            kind,
            LaneKind::Limb {
                rows: LimbRows::OneLastLaneTwo,
                ..
            }
        )
    {
        return usize::MAX;
    }
    LayoutParams {
        tile_inputs: 1,
        tile_outputs: 1,
        tile_positions: 1,
        lanes: l,
        lane: kind,
        gate: LaneGate::default(),
        dot_pairs: 0,
        gather: false,
    }
    .lane_height(lane_rows)
}

/// Per-row cost of a layout's columns: tile `b x k` with `tp` position lanes (each with `b` inputs and `k`
/// running sums, all sharing the `b * k` fixed weights), `l` lanes of `kind`, a dot tile of `p` pairs.
fn column_cost(
    shape: &ModelShape,
    (b, k, tp): (usize, usize, usize),
    l: usize,
    p: usize,
    kind: LaneKind,
) -> f64 {
    // the dot tile: x, y per pair and acc; on per pair, ox, oy, chain, start and the selector
    let (dot_advice, dot_fixed) = match p {
        0 => (0, 0),
        p => (2 * p + 1, p + 5),
    };
    // a limb lane has a, b, z, the limb columns and the top bits; m_a, m_b, c, relu, rc and the selector
    let (lane_advice, lookups) = match kind {
        LaneKind::Affine { .. } => (5 * l, 2 * l),
        LaneKind::Limb { rows, .. } => match rows {
            LimbRows::Two => (6 * l, 2 * l),
            LimbRows::One => (9 * l, 4 * l),
            LimbRows::OneLastLaneTwo => (9 * l - 3, 4 * l - 2),
        },
    };
    let advice = tp * (b + k) + lane_advice + dot_advice;
    let extra = shape.gate.mul as usize + shape.gate.zadd as usize + shape.gate.boolean as usize;
    let fixed = b * k + 3 + (6 + extra) * l + 3 + dot_fixed;
    let equality = tp * (b + k) + 3 * l + 1 + dot_advice;
    // the gather chip (only with computed indices): t_val, q_idx, q_out; five fixed; one lookup
    let gather = match shape.gather_rows {
        0 => 0,
        _ => 6 * 3 + 4 * 5 + 28 + 5 * 3,
    };
    (6 * advice + 4 * fixed + 28 * lookups + 5 * equality + gather) as f64
}

/// Checks a requested minimum k (EZKL's `logrows`) against the largest k we lay out.
pub fn check_min_k(min_k: u32) -> Result<()> {
    if min_k > MAX_K {
        return Err(CircuitError::LogrowsTooLarge {
            requested: min_k,
            max_k: MAX_K,
        });
    }
    Ok(())
}

/// Picks the layout for a model shape, with at least `2^min_k` rows (0: as few as fit), with limb lanes
/// when `limbs` (and the shape allows them), else affine lanes.
///
/// A larger `min_k` than the model needs (EZKL's `logrows`) buys nothing in soundness but lets the lookup
/// tables grow into the extra rows, up to the target's widest, which raises precision; it also pins k for
/// benchmarks that sweep circuit sizes.
///
/// Position lanes and the 32-input tile (`SHARED_TILES`) make proving cheaper, never less precise: the
/// chooser first finds the cheapest layout of one-position tiles up to 16x16 and the table width its rows
/// afford, then the cheapest layout of every tile that keeps at least that width. A smaller k that only
/// fits narrower tables is not taken.
pub fn choose_layout(
    shape: &ModelShape,
    target: Target,
    min_k: u32,
    limbs: bool,
) -> Result<LayoutChoice> {
    check_min_k(min_k)?;
    let limbs = limbs && shape.limbs;
    let (min_bits, max_bits) = match limbs {
        true => target.limb_bits_range(),
        false => target.bits_range(),
    };
    let plain: Vec<_> = TILES.iter().map(|&t| (t, 1)).collect();
    let base = search(shape, &plain, min_k, limbs, min_bits).ok_or_else(|| too_large(shape))?;
    let floor = widest_table(shape, &base, min_bits, max_bits, limbs);
    let shared: Vec<_> = TILES
        .iter()
        .chain(&SHARED_TILES)
        .flat_map(|&t| TILE_POSITIONS.iter().map(move |&tp| (t, tp)))
        .collect();
    let mut choice = search(shape, &shared, min_k, limbs, floor).unwrap_or(base);
    let bits = widest_table(shape, &choice, floor, max_bits, limbs);
    choice.layout.lane = choice.layout.lane.with_table_bits(bits);
    Ok(choice)
}

/// The error for a model that fits no layout.
fn too_large(shape: &ModelShape) -> CircuitError {
    CircuitError::TooLarge {
        needed: shape
            .lane_rows
            .max(tile_rows(shape, 32, 16, 8))
            .max(dot_rows(shape, 16))
            .max(shape.gather_rows),
        max_k: MAX_K,
    }
}

/// The widest table (from `bits`, up to `max_bits`) that fits the rows of `choice`.
fn widest_table(
    shape: &ModelShape,
    choice: &LayoutChoice,
    mut bits: u32,
    max_bits: u32,
    limbs: bool,
) -> u32 {
    let usable = usable_rows(choice.k);
    while bits < max_bits && bits + 1 < choice.k && table_rows(shape, bits + 1, limbs) <= usable {
        bits += 1;
    }
    bits
}

/// The cheapest layout with tables of `bits` (value bits, or limb bits with limb lanes) among `tiles`
/// (`((B, K), P)`), every lane count and lane kind, and the dot tiles the model needs; `None` if none fits.
fn search(
    shape: &ModelShape,
    tiles: &[((usize, usize), usize)],
    min_k: u32,
    limbs: bool,
    bits: u32,
) -> Option<LayoutChoice> {
    let kinds: Vec<LaneKind> = match limbs {
        true => LIMB_FORMS
            .iter()
            .map(|&rows| LaneKind::Limb {
                limb_bits: bits,
                rows,
            })
            .collect(),
        false => vec![LaneKind::Affine { value_bits: bits }],
    };
    let mut best: Option<LayoutChoice> = None;
    let dots: &[usize] = match shape.dots.is_empty() {
        true => &[0],
        false => &DOT_PAIRS,
    };
    for k in min_k.max(6)..=MAX_K {
        let usable = usable_rows(k);
        if table_rows(shape, bits, limbs) > usable
            || bits >= k
            || shape.instances > usable
            || shape.gather_rows > usable
        {
            continue;
        }
        for (&((tb, tk), tp), &kind) in tiles.iter().flat_map(|t| kinds.iter().map(move |k| (t, k)))
        {
            // position lanes serve only groups of several positions sharing a matrix
            if tp > 1 && shape.dense.iter().all(|&(r, _, _)| r < tp) {
                continue;
            }
            if tile_rows(shape, tb, tk, tp) > usable {
                continue;
            }
            for (&l, &p) in LANES.iter().flat_map(|l| dots.iter().map(move |p| (l, p))) {
                if lane_height(shape.lane_rows, l, kind) > usable || dot_rows(shape, p) > usable {
                    continue;
                }
                let cost = (1u64 << k) as f64 * column_cost(shape, (tb, tk, tp), l, p, kind);
                if best.is_none_or(|b| cost < b.cost) {
                    let layout = LayoutParams {
                        tile_inputs: tb,
                        tile_outputs: tk,
                        tile_positions: tp,
                        lanes: l,
                        lane: kind,
                        gate: shape.gate,
                        dot_pairs: p,
                        gather: shape.gather_rows > 0,
                    };
                    best = Some(LayoutChoice { k, layout, cost });
                }
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-32-10 MLP: 106 lane rows, the identity and Relu tables.
    fn small_mlp() -> ModelShape {
        ModelShape {
            dense: vec![(1, 64, 32), (1, 32, 10)],
            dots: vec![],
            lane_rows: 106,
            tables: 1,
            instances: 100,
            gate: LaneGate::default(),
            limbs: true,
            gather_rows: 0,
        }
    }

    #[test]
    fn small_mlp_gets_a_narrow_short_circuit() {
        let shape = small_mlp();
        let c = choose_layout(&shape, Target::Resources, 0, false).expect("fits");
        assert_eq!(c.k, 12);
        assert_eq!(
            (c.layout.tile_inputs, c.layout.tile_outputs, c.layout.lanes),
            (1, 1, 1)
        );
        assert_eq!(c.layout.lane, LaneKind::Affine { value_bits: 10 });
        let a = choose_layout(&shape, Target::Accuracy, 0, false).expect("fits");
        assert!(a.layout.value_bits() >= 12 && a.k > c.k);
    }

    #[test]
    fn limb_lanes_take_a_small_range_table_and_two_rows_per_element() {
        let shape = small_mlp();
        let c = choose_layout(&shape, Target::Resources, 0, true).expect("fits");
        // a 2^8-row table and 212 lane rows fit 2^9 rows; values of 17 bits
        // rows are free here: two rows per element, fewer lookups
        assert_eq!(
            (c.k, c.layout.lane),
            (
                9,
                LaneKind::Limb {
                    limb_bits: 8,
                    rows: LimbRows::Two
                }
            )
        );
        assert_eq!(c.layout.value_bits(), 17);
        assert!(lane_height(shape.lane_rows, c.layout.lanes, c.layout.lane) <= usable_rows(c.k));
        let a = choose_layout(&shape, Target::Accuracy, 0, true).expect("fits");
        assert_eq!(
            (a.layout.limb_bits(), a.layout.value_bits()),
            (Some(10), 21)
        );
        // a model with other functions keeps affine lanes
        let other = ModelShape {
            limbs: false,
            ..shape
        };
        let n = choose_layout(&other, Target::Resources, 0, true).expect("fits");
        assert_eq!(n.layout.lane, LaneKind::Affine { value_bits: 10 });
    }

    #[test]
    fn wide_model_widens_the_tile_before_growing_k() {
        let shape = ModelShape {
            dense: vec![(1, 512, 512)],
            dots: vec![],
            lane_rows: 1024,
            tables: 1,
            instances: 100,
            gate: LaneGate::default(),
            limbs: true,
            gather_rows: 0,
        };
        let c = choose_layout(&shape, Target::Resources, 0, false).expect("fits");
        let tile = c.layout.tile_inputs * c.layout.tile_outputs;
        assert!(tile > 1, "262k MACs need a wide tile: {c:?}");
        let l = c.layout;
        assert!(
            tile_rows(&shape, l.tile_inputs, l.tile_outputs, l.tile_positions) <= usable_rows(c.k)
        );
        // tables grow into the rows the MACs already pay for
        assert!(table_rows(&shape, c.layout.table_bits(), false) <= usable_rows(c.k));
    }

    #[test]
    fn convolutions_share_tile_rows_across_positions_and_dense_layers_do_not() {
        // a convolution: 1024 positions sharing a 288 x 64 matrix (18.9M MACs), 70k lane rows
        let conv = ModelShape {
            dense: vec![(1024, 288, 64), (1, 4096, 10)],
            dots: vec![],
            lane_rows: 70_000,
            tables: 1,
            instances: 3000,
            gate: LaneGate::default(),
            limbs: true,
            gather_rows: 0,
        };
        assert_eq!(tile_rows(&conv, 16, 16, 4), 1 + 256 * 4 * 18 + 256);
        let c = choose_layout(&conv, Target::Resources, 0, true).expect("fits");
        let l = c.layout;
        assert!(l.tile_positions > 1, "{c:?}");
        assert!(
            tile_rows(&conv, l.tile_inputs, l.tile_outputs, l.tile_positions) <= usable_rows(c.k)
        );
        // a dense layer has one position: position lanes would only add columns
        let mlp = ModelShape {
            dense: vec![(1, 3072, 1024), (1, 1024, 10)],
            lane_rows: 4000,
            ..conv
        };
        let m = choose_layout(&mlp, Target::Resources, 0, true).expect("fits");
        assert_eq!(m.layout.tile_positions, 1, "{m:?}");
    }

    #[test]
    fn position_lanes_never_narrow_the_tables() {
        // one-position tiles need k = 14 (9216 rows of 16x16), whose rows afford 11-bit tables for the
        // identity and 3 functions; two positions would fit k = 13, but only with 10-bit tables
        let shape = ModelShape {
            dense: vec![(512, 144, 32)],
            dots: vec![],
            lane_rows: 17_000,
            tables: 3,
            instances: 1000,
            gate: LaneGate::default(),
            limbs: false,
            gather_rows: 0,
        };
        let plain: Vec<_> = TILES.iter().map(|&t| (t, 1)).collect();
        let base = search(&shape, &plain, 0, false, 10).expect("fits");
        assert_eq!(
            (base.k, widest_table(&shape, &base, 10, 16, false)),
            (14, 11)
        );
        assert!(search(&shape, &[((16, 16), 2)], 0, false, 10).is_some_and(|c| c.k == 13));
        let c = choose_layout(&shape, Target::Resources, 0, false).expect("fits");
        assert_eq!(c.layout.value_bits(), 11, "{c:?}");
        assert!(c.cost <= base.cost);
    }

    #[test]
    fn min_k_pins_the_rows_and_the_tables_grow_into_them() {
        let shape = small_mlp();
        let c = choose_layout(&shape, Target::Resources, 16, false).expect("fits");
        assert_eq!(c.k, 16);
        assert!(
            c.layout.table_bits() > 10,
            "tables grow into the rows: {c:?}"
        );
        assert!(table_rows(&shape, c.layout.table_bits(), false) <= usable_rows(16));
        // a min_k below what the model needs changes nothing
        assert_eq!(
            choose_layout(&shape, Target::Resources, 8, false).expect("fits"),
            choose_layout(&shape, Target::Resources, 0, false).expect("fits")
        );
        assert!(matches!(
            choose_layout(&shape, Target::Resources, MAX_K + 1, false),
            Err(CircuitError::LogrowsTooLarge { requested, .. }) if requested == MAX_K + 1
        ));
    }

    #[test]
    fn products_of_activations_get_a_dot_tile_sized_to_them() {
        let mut shape = ModelShape {
            dense: vec![(8, 32, 32)],
            dots: vec![],
            lane_rows: 600,
            tables: 2,
            instances: 300,
            gate: LaneGate::default(),
            limbs: true,
            gather_rows: 0,
        };
        let c = choose_layout(&shape, Target::Resources, 0, false).expect("fits");
        assert_eq!(c.layout.dot_pairs, 0, "no products, no dot tile");
        // 4 products of [2, 8, 16] @ [2, 16, 8]: 512 dot products of 16 terms
        shape.dots = vec![(128, 16); 4];
        let c = choose_layout(&shape, Target::Resources, 0, false).expect("fits");
        let p = c.layout.dot_pairs;
        assert!(p > 0 && dot_rows(&shape, p) <= usable_rows(c.k), "{c:?}");
        assert_eq!(dot_rows(&shape, 4), 1 + 512 * 4);
        assert_eq!(dot_rows(&shape, 0), 0);
    }
}
