//! The circuit's shape, as a type: how wide the circuit is and how its lanes store values.
//!
//! [`LayoutParams`] is what `configure` reads (through the settings). Each way of laying lanes out is a
//! variant of [`LaneKind`] that carries its own fields, so a combination the chips do not implement (one-row
//! lanes without limbs, a limb width on affine lanes, ...) cannot be built. `settings.json` keeps its flat
//! fields (`lookup_bits`, `limb_bits`, `limb_one_row`, ...: [`LayoutFile`]), so the settings digest, and so
//! every verifying key, is the same as before the type existed; reading a file whose flags describe no
//! layout fails with a [`LayoutError`] that names the fields.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The layout shape: how wide the circuit is and how its lanes store values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LayoutFile", into = "LayoutFile")]
pub struct LayoutParams {
    /// Inputs per row of the multiply-accumulate tile (B).
    pub tile_inputs: usize,
    /// Outputs (running sums) per row of the tile (K); B*K weights per row in fixed columns.
    pub tile_outputs: usize,
    /// Position lanes of the tile (P): each row carries P output positions that share its B*K weights, each
    /// with its own B inputs and K running sums, so a convolution's weights cost one fixed cell per P MACs.
    pub tile_positions: usize,
    /// Parallel rescale lanes.
    pub lanes: usize,
    /// How lanes store and range-check values.
    pub lane: LaneKind,
    /// The optional terms of the lane gate.
    pub gate: LaneGate,
    /// Operand pairs per row of the dot tile (P), the products of two activations; 0: no dot tile.
    pub dot_pairs: usize,
    /// The gather chip (`chips::gather`): elements picked by indices the circuit computes.
    pub gather: bool,
}

/// How lanes store and range-check their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneKind {
    /// One row per element; values of `value_bits` bits are looked up whole in the shared
    /// `(tag, x, y)` table of `2^value_bits` rows per sub-table (`chips::affine_lane`).
    Affine {
        /// Bits of every stored value and of the lookup tables.
        value_bits: u32,
    },
    /// Values of `2 * limb_bits + 1` bits, checked as two `limb_bits`-bit limbs in a one-column range table
    /// of `2^limb_bits` rows plus a top bit (`chips::limb_lane`), so precision costs no table rows. Only for
    /// models whose sub-tables are the identity, Relu and the max/min steps.
    Limb {
        /// Bits of one limb, and of the range table.
        limb_bits: u32,
        /// How many rows an element takes in each lane.
        rows: LimbRows,
    },
}

/// Rows per element in limb lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimbRows {
    /// Two rows per element in every lane (2 limb lookups per lane).
    Two,
    /// One row per element in every lane: the high limbs and the remainder's top bit in columns of their
    /// own (4 limb lookups per lane), for models whose lane rows set k.
    One,
    /// One row per element in every lane but the last, which keeps two (6 lookups for 1.5 lanes' worth of
    /// elements where two one-row lanes take 8). Elements go round the lanes in cycles of `2 (L - 1) + 1`
    /// ([`LayoutParams::lane_slot`]). Needs at least 2 lanes.
    OneLastLaneTwo,
}

/// The optional terms of the lane gate (each adds a fixed column per lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LaneGate {
    /// A product term `a * b * m_ab` (element-wise products of activations).
    pub mul: bool,
    /// The activation reads `z - b * m_zb` (max and min: `z = b + step(q)`).
    pub zadd: bool,
    /// The boolean gate `is_bool * q * (1 - q)` (comparisons, logic ops, selections, boolean inputs).
    pub boolean: bool,
}

impl LaneKind {
    /// Bits of every stored activation and rescale remainder: they live in `[0, 2^value_bits)`.
    pub fn value_bits(self) -> u32 {
        match self {
            LaneKind::Affine { value_bits } => value_bits,
            LaneKind::Limb { limb_bits, .. } => 2 * limb_bits + 1,
        }
    }

    /// Bits of the lookup table's inputs: the shared table's width, or the range table's.
    pub fn table_bits(self) -> u32 {
        match self {
            LaneKind::Affine { value_bits } => value_bits,
            LaneKind::Limb { limb_bits, .. } => limb_bits,
        }
    }

    /// The limb width, for limb lanes.
    pub fn limb_bits(self) -> Option<u32> {
        match self {
            LaneKind::Affine { .. } => None,
            LaneKind::Limb { limb_bits, .. } => Some(limb_bits),
        }
    }

    /// The same kind with another table width (value bits for affine lanes, limb bits for limb lanes).
    pub fn with_table_bits(self, bits: u32) -> LaneKind {
        match self {
            LaneKind::Affine { .. } => LaneKind::Affine { value_bits: bits },
            LaneKind::Limb { rows, .. } => LaneKind::Limb {
                limb_bits: bits,
                rows,
            },
        }
    }
}

impl Default for LayoutParams {
    /// The smallest layout: a 1x1 tile, one affine lane of 8-bit values, no optional gate terms, no dot
    /// tile (what `Circuit::configure` without settings builds).
    fn default() -> Self {
        LayoutParams {
            tile_inputs: 1,
            tile_outputs: 1,
            tile_positions: 1,
            lanes: 1,
            lane: LaneKind::Affine { value_bits: 8 },
            gate: LaneGate::default(),
            dot_pairs: 0,
            gather: false,
        }
    }
}

impl LayoutParams {
    /// The MAC tile as users read it: `BxK`, and `BxK, P positions per row` with position lanes.
    pub fn tile_text(&self) -> String {
        match self.tile_positions {
            0 | 1 => format!("{}x{}", self.tile_inputs, self.tile_outputs),
            p => format!(
                "{}x{}, {p} positions per row",
                self.tile_inputs, self.tile_outputs
            ),
        }
    }

    /// Bits of every stored activation and rescale remainder ([`LaneKind::value_bits`]).
    pub fn value_bits(&self) -> u32 {
        self.lane.value_bits()
    }

    /// Bits of the lookup table's inputs ([`LaneKind::table_bits`]).
    pub fn table_bits(&self) -> u32 {
        self.lane.table_bits()
    }

    /// The limb width, for limb lanes.
    pub fn limb_bits(&self) -> Option<u32> {
        self.lane.limb_bits()
    }

    /// Whether lane `lane` takes two rows per element.
    pub fn lane_two_rows(&self, lane: usize) -> bool {
        match self.lane {
            LaneKind::Affine { .. } => false,
            LaneKind::Limb { rows, .. } => match rows {
                LimbRows::Two => true,
                LimbRows::One => false,
                LimbRows::OneLastLaneTwo => lane + 1 == self.lanes.max(1),
            },
        }
    }

    /// Whether elements are dealt in cycles of `2 (L - 1) + 1` (the mixed limb layout on `L >= 2` lanes).
    fn mixed_lanes(&self) -> Option<usize> {
        let lanes = self.lanes.max(1);
        match self.lane {
            LaneKind::Limb {
                rows: LimbRows::OneLastLaneTwo,
                ..
            } if lanes >= 2 => Some(lanes),
            _ => None,
        }
    }

    /// Where plan lane row `i` goes: `(lane, element index j in that lane)`; the element sits at row `j`,
    /// or rows `2j` and `2j + 1` in a two-row lane. Round robin (`i % L`, `i / L`), except in the mixed limb
    /// layout: cycles of `2 (L - 1) + 1` elements, two per one-row lane and one for the last lane, so every
    /// lane fills the same number of rows.
    pub fn lane_slot(&self, i: usize) -> (usize, usize) {
        match self.mixed_lanes() {
            Some(lanes) => {
                let ones = lanes - 1;
                let (cycle, p) = (i / (2 * ones + 1), i % (2 * ones + 1));
                match p < 2 * ones {
                    true => (p % ones, 2 * cycle + p / ones),
                    false => (ones, cycle),
                }
            }
            None => {
                let lanes = self.lanes.max(1);
                (i % lanes, i / lanes)
            }
        }
    }

    /// Rows that `elements` lane rows occupy.
    pub fn lane_height(&self, elements: usize) -> usize {
        match self.mixed_lanes() {
            Some(lanes) => 2 * elements.div_ceil(2 * (lanes - 1) + 1),
            None => (1 + self.lane_two_rows(0) as usize) * elements.div_ceil(self.lanes.max(1)),
        }
    }
}

/// Why a `layout` object of `settings.json` describes no layout.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LayoutError {
    /// Limb lanes whose value bits are not `2 * limb_bits + 1`.
    #[error("limb_bits = {limb_bits} needs lookup_bits = 2 * limb_bits + 1 = {}, found {lookup_bits}", 2 * limb_bits + 1)]
    LimbValueBits {
        /// The limb bits found.
        limb_bits: u32,
        /// The value bits found.
        lookup_bits: u32,
    },
    /// A one-row or mixed flag without limb lanes.
    #[error("limb_one_row and limb_last_lane_two_rows need limb lanes (limb_bits > 0)")]
    RowsWithoutLimbs,
    /// The mixed flag without the one-row layout.
    #[error("limb_last_lane_two_rows needs limb_one_row")]
    MixedWithoutOneRow,
    /// The mixed layout on fewer than 2 lanes.
    #[error("limb_last_lane_two_rows needs at least 2 lanes (found {lanes})")]
    MixedOnOneLane {
        /// The lanes found.
        lanes: usize,
    },
}

/// The layout as `settings.json` stores it: flat fields, the optional ones left out when off so that the
/// settings (and digests) of models without them are unchanged. Only [`LayoutParams`] is used in code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutFile {
    /// [`LaneKind::value_bits`].
    pub lookup_bits: u32,
    /// [`LayoutParams::tile_inputs`].
    pub tile_inputs: usize,
    /// [`LayoutParams::tile_outputs`].
    pub tile_outputs: usize,
    /// [`LayoutParams::lanes`].
    pub lanes: usize,
    /// [`LayoutParams::tile_positions`]; left out when 1, so the settings (and digests) of one-position
    /// tiles are unchanged.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub tile_positions: usize,
    /// [`LaneGate::mul`].
    #[serde(default)]
    pub lane_mul: bool,
    /// [`LaneGate::zadd`].
    #[serde(default)]
    pub lane_zadd: bool,
    /// [`LaneGate::boolean`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lane_bool: bool,
    /// [`LayoutParams::dot_pairs`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dot_pairs: usize,
    /// [`LayoutParams::gather`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gather: bool,
    /// [`LaneKind::Limb`]'s `limb_bits`; 0 for affine lanes.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub limb_bits: u32,
    /// [`LimbRows::One`] or [`LimbRows::OneLastLaneTwo`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub limb_one_row: bool,
    /// [`LimbRows::OneLastLaneTwo`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub limb_last_lane_two_rows: bool,
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

fn one() -> usize {
    1
}

fn is_one(v: &usize) -> bool {
    *v == 1
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

impl TryFrom<LayoutFile> for LayoutParams {
    type Error = LayoutError;

    fn try_from(f: LayoutFile) -> Result<Self, LayoutError> {
        let lane = match (f.limb_bits, f.limb_one_row, f.limb_last_lane_two_rows) {
            (0, false, false) => LaneKind::Affine {
                value_bits: f.lookup_bits,
            },
            (0, _, _) => return Err(LayoutError::RowsWithoutLimbs),
            (t, _, _) if f.lookup_bits != 2 * t + 1 => {
                return Err(LayoutError::LimbValueBits {
                    limb_bits: t,
                    lookup_bits: f.lookup_bits,
                })
            }
            (t, false, false) => LaneKind::Limb {
                limb_bits: t,
                rows: LimbRows::Two,
            },
            (t, true, false) => LaneKind::Limb {
                limb_bits: t,
                rows: LimbRows::One,
            },
            (_, false, true) => return Err(LayoutError::MixedWithoutOneRow),
            (_, true, true) if f.lanes < 2 => {
                return Err(LayoutError::MixedOnOneLane { lanes: f.lanes })
            }
            (t, true, true) => LaneKind::Limb {
                limb_bits: t,
                rows: LimbRows::OneLastLaneTwo,
            },
        };
        Ok(LayoutParams {
            tile_inputs: f.tile_inputs,
            tile_outputs: f.tile_outputs,
            tile_positions: f.tile_positions,
            lanes: f.lanes,
            lane,
            gate: LaneGate {
                mul: f.lane_mul,
                zadd: f.lane_zadd,
                boolean: f.lane_bool,
            },
            dot_pairs: f.dot_pairs,
            gather: f.gather,
        })
    }
}

impl From<LayoutParams> for LayoutFile {
    fn from(l: LayoutParams) -> Self {
        let (limb_bits, limb_one_row, limb_last_lane_two_rows) = match l.lane {
            LaneKind::Affine { .. } => (0, false, false),
            LaneKind::Limb { limb_bits, rows } => (
                limb_bits,
                rows != LimbRows::Two,
                rows == LimbRows::OneLastLaneTwo,
            ),
        };
        LayoutFile {
            lookup_bits: l.lane.value_bits(),
            tile_inputs: l.tile_inputs,
            tile_outputs: l.tile_outputs,
            tile_positions: l.tile_positions,
            lanes: l.lanes,
            lane_mul: l.gate.mul,
            lane_zadd: l.gate.zadd,
            lane_bool: l.gate.boolean,
            dot_pairs: l.dot_pairs,
            gather: l.gather,
            limb_bits,
            limb_one_row,
            limb_last_lane_two_rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> LayoutFile {
        LayoutFile {
            lookup_bits: 10,
            tile_inputs: 2,
            tile_outputs: 2,
            lanes: 2,
            tile_positions: 1,
            lane_mul: false,
            lane_zadd: false,
            lane_bool: false,
            dot_pairs: 0,
            gather: false,
            limb_bits: 0,
            limb_one_row: false,
            limb_last_lane_two_rows: false,
        }
    }

    #[test]
    fn every_layout_round_trips_through_the_file_form() {
        let kinds = [
            LaneKind::Affine { value_bits: 10 },
            LaneKind::Limb {
                limb_bits: 8,
                rows: LimbRows::Two,
            },
            LaneKind::Limb {
                limb_bits: 8,
                rows: LimbRows::One,
            },
            LaneKind::Limb {
                limb_bits: 8,
                rows: LimbRows::OneLastLaneTwo,
            },
        ];
        for lane in kinds {
            let l = LayoutParams {
                tile_inputs: 4,
                tile_outputs: 2,
                tile_positions: 4,
                lanes: 3,
                lane,
                gate: LaneGate {
                    mul: true,
                    zadd: false,
                    boolean: true,
                },
                dot_pairs: 2,
                gather: true,
            };
            let json = serde_json::to_string(&l).expect("json");
            assert_eq!(
                serde_json::from_str::<LayoutParams>(&json).expect("parses"),
                l
            );
        }
    }

    #[test]
    fn the_file_form_of_affine_lanes_has_no_limb_fields() {
        let l = LayoutParams::try_from(file()).expect("valid");
        let json = serde_json::to_string(&l).expect("json");
        assert_eq!(
            json,
            r#"{"lookup_bits":10,"tile_inputs":2,"tile_outputs":2,"lanes":2,"lane_mul":false,"lane_zadd":false}"#
        );
    }

    #[test]
    fn flags_that_describe_no_layout_are_refused_by_name() {
        type Edit = fn(&mut LayoutFile);
        let cases: [(Edit, LayoutError); 4] = [
            (|f| f.limb_one_row = true, LayoutError::RowsWithoutLimbs),
            (
                |f| f.limb_bits = 5,
                LayoutError::LimbValueBits {
                    limb_bits: 5,
                    lookup_bits: 10,
                },
            ),
            (
                |f| {
                    (f.limb_bits, f.lookup_bits, f.limb_last_lane_two_rows) = (5, 11, true);
                },
                LayoutError::MixedWithoutOneRow,
            ),
            (
                |f| {
                    (f.limb_bits, f.lookup_bits, f.lanes) = (5, 11, 1);
                    (f.limb_one_row, f.limb_last_lane_two_rows) = (true, true);
                },
                LayoutError::MixedOnOneLane { lanes: 1 },
            ),
        ];
        for (edit, expected) in cases {
            let mut f = file();
            edit(&mut f);
            assert_eq!(LayoutParams::try_from(f), Err(expected.clone()));
            let json = serde_json::to_string(&f).expect("json");
            let err = serde_json::from_str::<LayoutParams>(&json).expect_err("refused");
            assert!(err.to_string().contains(&expected.to_string()), "{err}");
        }
    }

    #[test]
    fn the_mixed_layout_deals_elements_in_cycles() {
        let mixed = LayoutParams {
            tile_inputs: 1,
            tile_outputs: 1,
            tile_positions: 1,
            lanes: 2,
            lane: LaneKind::Limb {
                limb_bits: 5,
                rows: LimbRows::OneLastLaneTwo,
            },
            gate: LaneGate::default(),
            dot_pairs: 0,
            gather: false,
        };
        assert_eq!(
            (0..6).map(|i| mixed.lane_slot(i)).collect::<Vec<_>>(),
            [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1)]
        );
        assert_eq!(mixed.lane_height(6), 4);
        assert_eq!(mixed.lane_height(7), 6);
        assert!(!mixed.lane_two_rows(0) && mixed.lane_two_rows(1));
    }
}
