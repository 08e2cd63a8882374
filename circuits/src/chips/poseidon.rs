//! The Poseidon chip: circomlib's Poseidon permutation ([`crate::poseidon`]) of width `t` and the packing
//! of ten values into one element, so that a vector of cells can be bound to its commitment
//! ([`crate::poseidon::commitment`]). Two layouts ([`PoseidonLayout`]) trade columns for rows.
//!
//! Columns: `t` state columns `s_0..s_{t-1}` and the work columns `w_..` (advice, equality-enabled: `t`
//! in the wide layout, 1 in the narrow one), `t` fixed columns `k_0..k_{t-1}` and `n` fixed columns
//! `a_0..a_{n-1}` (`n` partial rounds per row: `(t + 1) / 2` wide, 1 narrow), two fixed columns for the
//! packing gate, two or three selectors, and the constants column the caller gives. A permutation takes
//! `R_F * f + ceil(R_P / n) + 1` rows (`f` rows per full round: 1 wide, 2 narrow), 29 wide and 77 narrow
//! at the commitment's width 6:
//!
//! ```text
//!   wide full round r:    s = state_r,  w_i = (s_i + k_i)^2            k = round constants of r
//!   narrow full round r:  s = state_r;  next row: s_i = (s_i + k_i)^2
//!   partial rounds r..:   s = state_r,  w = p_0 y_0 p_1 y_1 .. p_{n-1}   k, a = the row's constants
//!   next row:             s = the state after the row's round(s)
//!   last row:             s = the permutation's output
//! ```
//!
//! Gate "poseidon full round", per element `i` and `j`:
//! - "square = (s + c)^2": `w_i = (s_i + k_i)^2` (the square cells);
//! - "next = M * sbox(s + c)": `s'_j = sum_i M[j][i] * w_i^2 * (s_i + k_i)` (the S-box `x^5` is
//!   `w_i^2 x`; the square's cell keeps the degree at 4 with the selector, below halo2-axiom's 5).
//!
//! Gate "poseidon partial rounds" (`n` rounds in a row; the last partial row holds the `R_P mod n` left, in
//! the gate "poseidon partial rounds (remainder)", when there are any). Within a row every value is an
//! affine function of the row's state `s` and the S-box outputs `y_q` of its rounds, with coefficients that
//! depend on the MDS matrix alone (constants of the gate) and constant terms that depend on the rounds
//! (the fixed columns: `a_q` is the constant of the S-box input `x_q` of round `q`, `k_j` that of the
//! next state's element `j`). Constraints, for `q < n` and `j < t`:
//! - "square = (s + c)^2": `p_q = x_q^2`;
//! - "sbox = square^2 * x": `y_q = p_q^2 x_q` (`q < n - 1`; the last `y` is that expression itself);
//! - "next = M * sbox(s + c)": `s'_j = L_j(s, y) + k_j`.
//!
//! Gate "poseidon pack" (on an element's packing row, enabled by a fixed column `e`, with the values'
//! offset `o` in another): "packed = sum (x_i + o) * 2^(24 i)", as `e * (packed - sum x_i 2^(24 i)) -
//! o * sum 2^(24 i)`, over ten value cells `x_i` and the packed cell, laid out row by row in the columns
//! `s_0..s_{t-1}, w_0..w_{t-1}` (slots 0..9 the values, slot 10 the packed element: one row from width 6
//! on). `o` is 0 for stored values (already in `[0, 2^24)`) and `2^23` for signed values
//! ([`PackOffset`]); padding slots are pinned to `-o`, so they pack as 0. The gate does **not**
//! range-check the `x_i`: the caller copies them from cells that are already checked to be in range
//! (`[0, 2^24)`, or `[-2^23, 2^23)` for signed values), otherwise two vectors could pack alike.
//!
//! A commitment ([`PoseidonChip::assign_commitment`]) lays out the packing rows of its `m` elements, then
//! its chain of permutations: each permutation's capacity cell, the count `n` and padding inputs are pinned
//! to constants (the constants column given to `configure`), packed elements and chained hashes are copied
//! in, and the last output's element 0 is the commitment cell, for the caller to copy to an instance.
//! Every row the chip uses gets a fixed assignment (`k_0`, 0 where no constant), and every gate queries a
//! fixed column, so `MockProver` reports the chip's failures inside the caller's region.

use crate::poseidon::commitment::{
    chain_calls, chain_position, slot_weight, SIGNED_OFFSET, VALUES_PER_ELEMENT,
};
use crate::poseidon::permutation::{permutation_trace, PermutationTrace};
use crate::poseidon::PoseidonParams;
use crate::Fr;
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector, VirtualCells,
};
use halo2_proofs::poly::Rotation;

/// Name of the full round gate.
pub const FULL_ROUND_GATE: &str = "poseidon full round";
/// Name of the gate of a row of partial rounds.
pub const PARTIAL_ROUNDS_GATE: &str = "poseidon partial rounds";
/// Name of the gate of the last partial row when it holds fewer rounds.
pub const PARTIAL_REMAINDER_GATE: &str = "poseidon partial rounds (remainder)";
/// Name of the packing gate.
pub const PACK_GATE: &str = "poseidon pack";
/// The square of an S-box input (constraints `0..t` of the full round gate, `0..n` of a partial one).
pub const SQUARE_CONSTRAINT: &str = "square = (s + c)^2";
/// An S-box output of a partial row (constraints `n..2n-1`).
pub const SBOX_CONSTRAINT: &str = "sbox = square^2 * x";
/// The next state (constraints `t..2t` of the full round gate, `2n-1..2n-1+t` of a partial one).
pub const MIX_CONSTRAINT: &str = "next = M * sbox(s + c)";
/// The packing constraint.
pub const PACK_CONSTRAINT: &str = "packed = sum (x_i + o) * 2^(24 i)";
/// Cells of one packing: ten values and the packed element.
pub const PACK_SLOTS: usize = VALUES_PER_ELEMENT + 1;

/// What the packing adds to each value cell: the committed values are `x_i + o`, in `[0, 2^24)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackOffset {
    /// `o = 0`: the cells hold stored values (quantised value plus the encoding's offset), in
    /// `[0, 2^24)`.
    Stored,
    /// `o = 2^23`: the cells hold signed values in `[-2^23, 2^23)` (weights, say).
    Signed,
}

impl PackOffset {
    /// `o` as a field element.
    pub fn value(self) -> Fr {
        match self {
            PackOffset::Stored => Fr::zero(),
            PackOffset::Signed => crate::field::fr_from_i128(SIGNED_OFFSET),
        }
    }
}

/// How a permutation is laid out: many columns and few rows, or few columns and more rows. The chip's
/// columns span the whole circuit, so a commitment that is small next to the circuit's other rows (a
/// hashed input) wants [`PoseidonLayout::Narrow`], and one that sets the circuit's height (committed
/// weights) wants [`PoseidonLayout::Wide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoseidonLayout {
    /// `t` work columns: one row per full round (the squares in the work columns) and `(t + 1) / 2`
    /// partial rounds per row. Width 6: 12 advice columns, 29 rows per permutation, 1 row per packing.
    #[default]
    Wide,
    /// One work column: two rows per full round (the squares on the second row, in the state columns)
    /// and one partial round per row. Width 6: 7 advice columns, 77 rows per permutation, 2 rows per
    /// packing.
    Narrow,
}

impl PoseidonLayout {
    /// Partial rounds per row for width `t`: `(t + 1) / 2` (a row's `2n - 1` work cells fit the `t` work
    /// columns) in the wide layout, 1 in the narrow one.
    pub fn partial_rounds_per_row(self, width: usize) -> usize {
        match self {
            PoseidonLayout::Wide => width.div_ceil(2).max(1),
            PoseidonLayout::Narrow => 1,
        }
    }

    /// Rows of one full round.
    pub fn full_round_rows(self) -> usize {
        match self {
            PoseidonLayout::Wide => 1,
            PoseidonLayout::Narrow => 2,
        }
    }

    /// Work columns for width `t`.
    pub fn work_columns(self, width: usize) -> usize {
        match self {
            PoseidonLayout::Wide => width,
            PoseidonLayout::Narrow => 1,
        }
    }
}

/// An affine function of a partial row's variables `[s_0..s_{t-1}, y_0..y_{n-1}]`.
#[derive(Debug, Clone)]
struct Affine {
    coefficients: Vec<Fr>,
    constant: Fr,
}

impl Affine {
    fn unit(vars: usize, var: usize) -> Self {
        let mut coefficients = vec![Fr::zero(); vars];
        coefficients[var] = Fr::one();
        Self {
            coefficients,
            constant: Fr::zero(),
        }
    }

    fn scaled_sum(terms: impl Iterator<Item = (Fr, Self)>, vars: usize) -> Self {
        let mut out = Self {
            coefficients: vec![Fr::zero(); vars],
            constant: Fr::zero(),
        };
        for (m, a) in terms {
            for (o, c) in out.coefficients.iter_mut().zip(&a.coefficients) {
                *o += m * c;
            }
            out.constant += m * a.constant;
        }
        out
    }
}

/// The S-box inputs `x_q` and the next state of `constants.len()` partial rounds (with those rounds'
/// constants) as affine functions of the row's state and S-box outputs.
fn partial_row_forms(params: &PoseidonParams, constants: &[Vec<Fr>]) -> (Vec<Affine>, Vec<Affine>) {
    let t = params.width;
    let vars = t + constants.len();
    let mut state: Vec<Affine> = (0..t).map(|i| Affine::unit(vars, i)).collect();
    let mut inputs = Vec::with_capacity(constants.len());
    for (q, c) in constants.iter().enumerate() {
        for (s, c) in state.iter_mut().zip(c) {
            s.constant += c;
        }
        inputs.push(state[0].clone());
        state[0] = Affine::unit(vars, t + q);
        state = params
            .mds
            .iter()
            .map(|row| Affine::scaled_sum(row.iter().copied().zip(state.iter().cloned()), vars))
            .collect();
    }
    (inputs, state)
}

/// One row of partial rounds: its first round, its round count and its fixed values.
#[derive(Debug, Clone)]
pub struct PartialRow {
    /// The first round of the row.
    pub first_round: usize,
    /// Rounds in the row.
    pub rounds: usize,
    /// `a_q`: the constant term of the S-box input of round `q` of the row.
    pub sbox_constants: Vec<Fr>,
    /// `k_j`: the constant term of the next state's element `j`.
    pub next_constants: Vec<Fr>,
}

/// One row of a permutation's layout.
#[derive(Debug, Clone, Copy)]
enum RowKind {
    Full(usize),
    Partial(usize),
}

/// A cell the chip assigned, with its value.
#[derive(Debug, Clone, Copy)]
pub struct AssignedValue {
    /// The cell (to copy from or to).
    pub cell: Cell,
    /// Its value (unknown at key generation).
    pub value: Value<Fr>,
}

/// The input and output cells of one permutation.
#[derive(Debug, Clone)]
pub struct PermutationCells {
    /// The input state (first row).
    pub input: Vec<AssignedValue>,
    /// The output state (last row).
    pub output: Vec<AssignedValue>,
}

/// The cells of one packed element.
#[derive(Debug, Clone)]
pub struct PackCells {
    /// The value cells given (padding slots are pinned to 0 and not returned).
    pub values: Vec<AssignedValue>,
    /// The packed element.
    pub packed: AssignedValue,
}

/// The cells of one commitment.
#[derive(Debug, Clone)]
pub struct CommitmentCells {
    /// The salt (an input of the first permutation).
    pub salt: AssignedValue,
    /// The committed values, in order: copy each to the cell it stands for.
    pub values: Vec<AssignedValue>,
    /// The commitment: element 0 of the last permutation's output.
    pub commitment: AssignedValue,
    /// Rows the commitment took from its first row.
    pub rows: usize,
}

/// Columns, gates and constants of the chip.
#[derive(Debug, Clone)]
pub struct PoseidonConfig {
    /// The permutation's constants (and its width).
    pub params: &'static PoseidonParams,
    /// The layout.
    pub layout: PoseidonLayout,
    /// The state columns.
    pub state: Vec<Column<Advice>>,
    /// The work columns: a full round's squares, a partial row's squares and S-box outputs (and the
    /// packing's last slots).
    pub work: Vec<Column<Advice>>,
    /// `k`: a full round's round constants, a partial row's next-state constants.
    pub round_constants: Vec<Column<Fixed>>,
    /// `a`: a partial row's S-box input constants.
    pub sbox_constants: Vec<Column<Fixed>>,
    /// The constants column pinned cells are copied from.
    pub constants: Column<Fixed>,
    /// Enables the full round gate.
    pub full_round: Selector,
    /// Enables the gate of a row of partial rounds.
    pub partial_rounds: Selector,
    /// Enables the gate of the last partial row when it holds fewer rounds (`R_P mod n > 0`).
    pub partial_remainder: Option<Selector>,
    /// Enables the packing gate: a fixed column rather than a selector, so that the gate queries a fixed
    /// column and `MockProver` places its failures in the caller's region like every other gate's.
    pub pack: Column<Fixed>,
    /// The packing row's value offset `o` (0 or `2^23`).
    pub pack_offset: Column<Fixed>,
    /// The permutation's partial rows and their fixed values.
    pub partial_rows: Vec<PartialRow>,
}

impl PoseidonConfig {
    /// Allocates the chip for `params`' width in `layout`; `constants` becomes a constants column (it
    /// may be shared with other chips that pin constants; the layouter fills it from row 0).
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        params: &'static PoseidonParams,
        layout: PoseidonLayout,
        constants: Column<Fixed>,
    ) -> Self {
        let t = params.width;
        let per_row = layout.partial_rounds_per_row(t);
        let state: Vec<_> = (0..t).map(|_| meta.advice_column()).collect();
        let work: Vec<_> = (0..layout.work_columns(t))
            .map(|_| meta.advice_column())
            .collect();
        // where a full round's squares are, and how far down its next state is
        let (square_rows, next_rows) = match layout {
            PoseidonLayout::Wide => (0, 1),
            PoseidonLayout::Narrow => (1, 2),
        };
        let round_constants: Vec<_> = (0..t).map(|_| meta.fixed_column()).collect();
        let sbox_constants: Vec<_> = (0..per_row).map(|_| meta.fixed_column()).collect();
        for col in state.iter().chain(&work) {
            meta.enable_equality(*col);
        }
        meta.enable_constant(constants);
        let (pack, pack_offset) = (meta.fixed_column(), meta.fixed_column());
        let full_round = meta.selector();
        let mds = &params.mds;
        meta.create_gate(FULL_ROUND_GATE, |m| {
            let q = m.query_selector(full_round);
            let inputs: Vec<_> = (0..t)
                .map(|i| {
                    m.query_advice(state[i], Rotation::cur())
                        + m.query_fixed(round_constants[i], Rotation::cur())
                })
                .collect();
            let squares: Vec<_> = (0..t)
                .map(|i| match layout {
                    PoseidonLayout::Wide => m.query_advice(work[i], Rotation(square_rows)),
                    PoseidonLayout::Narrow => m.query_advice(state[i], Rotation(square_rows)),
                })
                .collect();
            let mut constraints: Vec<(&'static str, Expression<Fr>)> = squares
                .iter()
                .zip(&inputs)
                .map(|(w, x)| {
                    (
                        SQUARE_CONSTRAINT,
                        q.clone() * (w.clone() - x.clone() * x.clone()),
                    )
                })
                .collect();
            for (j, row) in mds.iter().enumerate() {
                let next = m.query_advice(state[j], Rotation(next_rows));
                let mixed = sum(squares.iter().zip(&inputs).zip(row).map(|((w, x), m_ji)| {
                    w.clone() * w.clone() * x.clone() * Expression::Constant(*m_ji)
                }));
                constraints.push((MIX_CONSTRAINT, q.clone() * (next - mixed)));
            }
            constraints
        });
        let partial_gate = |meta: &mut ConstraintSystem<Fr>, name: &'static str, rounds: usize| {
            let selector = meta.selector();
            let (inputs, next) = partial_row_forms(params, &vec![vec![Fr::zero(); t]; rounds]);
            meta.create_gate(name, |m| {
                let q = m.query_selector(selector);
                let mut vars: Vec<Expression<Fr>> = (0..t)
                    .map(|i| m.query_advice(state[i], Rotation::cur()))
                    .collect();
                let (mut squares, mut sboxes) = (Vec::new(), Vec::new());
                for (r, form) in inputs.iter().enumerate() {
                    let x = linear(form, &vars) + m.query_fixed(sbox_constants[r], Rotation::cur());
                    let p = m.query_advice(work[2 * r], Rotation::cur());
                    squares.push((
                        SQUARE_CONSTRAINT,
                        q.clone() * (p.clone() - x.clone() * x.clone()),
                    ));
                    let y = p.clone() * p * x;
                    if r + 1 < rounds {
                        let cell = m.query_advice(work[2 * r + 1], Rotation::cur());
                        sboxes.push((SBOX_CONSTRAINT, q.clone() * (cell.clone() - y)));
                        vars.push(cell);
                    } else {
                        vars.push(y);
                    }
                }
                let mixes = next.iter().enumerate().map(|(j, form)| {
                    let s_next = m.query_advice(state[j], Rotation::next());
                    let k = m.query_fixed(round_constants[j], Rotation::cur());
                    (
                        MIX_CONSTRAINT,
                        q.clone() * (s_next - linear(form, &vars) - k),
                    )
                });
                let mut constraints = squares;
                constraints.extend(sboxes);
                constraints.extend(mixes.collect::<Vec<_>>());
                constraints
            });
            selector
        };
        let partial_rounds = partial_gate(meta, PARTIAL_ROUNDS_GATE, per_row);
        let remainder = params.rounds_p % per_row;
        let partial_remainder =
            (remainder > 0).then(|| partial_gate(meta, PARTIAL_REMAINDER_GATE, remainder));
        let slots = pack_slot_columns(&state, &work);
        meta.create_gate(PACK_GATE, |m| {
            let q = m.query_fixed(pack, Rotation::cur());
            let cell = |m: &mut VirtualCells<'_, Fr>, slot: usize| {
                let (col, rot) = slots(slot);
                m.query_advice(col, Rotation(rot))
            };
            let offset = m.query_fixed(pack_offset, Rotation::cur());
            let weights: Fr = (0..VALUES_PER_ELEMENT).map(slot_weight).sum();
            let packed_sum =
                sum((0..VALUES_PER_ELEMENT)
                    .map(|i| cell(m, i) * Expression::Constant(slot_weight(i))));
            let packed = cell(m, VALUES_PER_ELEMENT);
            vec![(
                PACK_CONSTRAINT,
                q * (packed - packed_sum) - offset * Expression::Constant(weights),
            )]
        });
        let half = params.rounds_f / 2;
        let partial_rows = (0..params.rounds_p.div_ceil(per_row))
            .map(|row| {
                let first_round = half + row * per_row;
                let rounds = per_row.min(half + params.rounds_p - first_round);
                let (inputs, next) = partial_row_forms(
                    params,
                    &params.round_constants[first_round..first_round + rounds],
                );
                PartialRow {
                    first_round,
                    rounds,
                    sbox_constants: inputs.iter().map(|a| a.constant).collect(),
                    next_constants: next.iter().map(|a| a.constant).collect(),
                }
            })
            .collect();
        Self {
            params,
            layout,
            state,
            work,
            round_constants,
            sbox_constants,
            constants,
            full_round,
            partial_rounds,
            partial_remainder,
            pack,
            pack_offset,
            partial_rows,
        }
    }

    /// The permutation's width.
    pub fn width(&self) -> usize {
        self.params.width
    }

    /// Partial rounds per row (the last partial row may hold fewer).
    pub fn partial_rounds_per_row(&self) -> usize {
        self.layout.partial_rounds_per_row(self.width())
    }

    /// The steps of a permutation, in order, with their first row from the permutation's first row;
    /// then the output row.
    fn rows(&self) -> (Vec<(usize, RowKind)>, usize) {
        let half = self.params.rounds_f / 2;
        let last_full = half + self.params.rounds_p;
        let kinds = (0..half)
            .map(RowKind::Full)
            .chain((0..self.partial_rows.len()).map(RowKind::Partial))
            .chain((last_full..last_full + half).map(RowKind::Full));
        let mut at = 0;
        let mut rows = Vec::new();
        for kind in kinds {
            rows.push((at, kind));
            at += match kind {
                RowKind::Full(_) => self.layout.full_round_rows(),
                RowKind::Partial(_) => 1,
            };
        }
        (rows, at)
    }
}

/// The sum of expressions (0 for none).
fn sum(terms: impl Iterator<Item = Expression<Fr>>) -> Expression<Fr> {
    terms
        .reduce(|a, b| a + b)
        .unwrap_or(Expression::Constant(Fr::zero()))
}

/// `sum_v c_v * vars[v]` over the nonzero coefficients of `form` (its constant term is a fixed cell).
fn linear(form: &Affine, vars: &[Expression<Fr>]) -> Expression<Fr> {
    let zero = Fr::zero();
    sum(form
        .coefficients
        .iter()
        .zip(vars)
        .filter(|(c, _)| **c != zero)
        .map(|(c, v)| {
            if *c == Fr::one() {
                v.clone()
            } else {
                v.clone() * Expression::Constant(*c)
            }
        }))
}

/// Slot `k` of a packing: column `k mod c` of the `c` columns `s_0..s_{t-1}, w_0..`, row `k / c`.
fn pack_slot_columns(
    state: &[Column<Advice>],
    work: &[Column<Advice>],
) -> impl Fn(usize) -> (Column<Advice>, i32) {
    let columns: Vec<_> = state.iter().chain(work).copied().collect();
    move |slot| {
        let n = columns.len();
        (columns[slot % n], (slot / n) as i32)
    }
}

/// Assigns permutations, packings and commitments in one configured chip.
#[derive(Debug, Clone)]
pub struct PoseidonChip {
    config: PoseidonConfig,
}

impl PoseidonChip {
    /// A chip assigning into `config`'s columns.
    pub fn construct(config: PoseidonConfig) -> Self {
        Self { config }
    }

    /// The chip's configuration.
    pub fn config(&self) -> &PoseidonConfig {
        &self.config
    }

    /// Rows of one permutation: one or two per full round, one per row of partial rounds, one for the
    /// output.
    pub fn permutation_rows(&self) -> usize {
        self.config.rows().1 + 1
    }

    /// The row, from a permutation's first row, holding the state before round `round` (`rounds` for
    /// the output), when that round starts a row.
    pub fn round_row(&self, round: usize) -> Option<usize> {
        let (rows, out) = self.config.rows();
        if round == self.config.params.rounds() {
            return Some(out);
        }
        rows.iter()
            .find(|(_, kind)| match kind {
                RowKind::Full(r) => *r == round,
                RowKind::Partial(i) => self.config.partial_rows[*i].first_round == round,
            })
            .map(|(at, _)| *at)
    }

    /// Rows of one packed element.
    pub fn pack_rows(&self) -> usize {
        PACK_SLOTS.div_ceil(self.config.width() + self.config.work.len())
    }

    /// Rows of a commitment to `n` values: the packings, then the chain's permutations.
    pub fn commitment_rows(&self, n: usize) -> usize {
        let m = n.div_ceil(VALUES_PER_ELEMENT);
        m * self.pack_rows() + chain_calls(m + 2, self.config.width() - 1) * self.permutation_rows()
    }

    fn advice(
        region: &mut Region<'_, Fr>,
        col: Column<Advice>,
        row: usize,
        value: Value<Fr>,
    ) -> AssignedValue {
        let cell = region.assign_advice(col, row, value).cell();
        AssignedValue { cell, value }
    }

    /// Assigns one permutation of `input` (`t` values) from `row`; returns its input and output cells.
    /// The input cells are free: copy or pin them.
    pub fn assign_permutation(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        input: &[Value<Fr>],
    ) -> Result<PermutationCells, Error> {
        let c = &self.config;
        let p = c.params;
        if input.len() != p.width {
            return Err(Error::Synthesis);
        }
        let state: Value<Vec<Fr>> = input.iter().copied().collect();
        let trace: Value<PermutationTrace> = state.map(|s| {
            permutation_trace(p, &s).unwrap_or_else(|_| PermutationTrace {
                states: vec![vec![Fr::zero(); p.width]; p.rounds() + 1],
                squares: vec![vec![Fr::zero(); p.width]; p.rounds()],
            })
        });
        let at = |f: &dyn Fn(&PermutationTrace) -> Fr| trace.as_ref().map(f);
        let mut input_cells = Vec::new();
        let (rows, out_offset) = c.rows();
        for (offset, kind) in rows {
            let here = row + offset;
            let first_round = match kind {
                RowKind::Full(r) => r,
                RowKind::Partial(i) => c.partial_rows[i].first_round,
            };
            for (i, col) in c.state.iter().enumerate() {
                let cell = Self::advice(region, *col, here, at(&|tr| tr.states[first_round][i]));
                if offset == 0 {
                    input_cells.push(cell);
                }
            }
            match kind {
                RowKind::Full(r) => {
                    c.full_round.enable(region, here)?;
                    for (col, constant) in c.round_constants.iter().zip(&p.round_constants[r]) {
                        region.assign_fixed(*col, here, *constant);
                    }
                    match c.layout {
                        PoseidonLayout::Wide => {
                            for (i, col) in c.work.iter().enumerate() {
                                region.assign_advice(*col, here, at(&|tr| tr.squares[r][i]));
                            }
                        }
                        PoseidonLayout::Narrow => {
                            for (i, col) in c.state.iter().enumerate() {
                                region.assign_advice(*col, here + 1, at(&|tr| tr.squares[r][i]));
                            }
                            region.assign_fixed(c.round_constants[0], here + 1, Fr::zero());
                        }
                    }
                }
                RowKind::Partial(i) => {
                    let pr = &c.partial_rows[i];
                    match (pr.rounds == c.partial_rounds_per_row(), c.partial_remainder) {
                        (true, _) => c.partial_rounds.enable(region, here)?,
                        (false, Some(remainder)) => remainder.enable(region, here)?,
                        (false, None) => return Err(Error::Synthesis),
                    }
                    for (col, constant) in c.round_constants.iter().zip(&pr.next_constants) {
                        region.assign_fixed(*col, here, *constant);
                    }
                    for (col, constant) in c.sbox_constants.iter().zip(&pr.sbox_constants) {
                        region.assign_fixed(*col, here, *constant);
                    }
                    for q in 0..pr.rounds {
                        let r = pr.first_round + q;
                        let square = at(&|tr| tr.squares[r][0]);
                        region.assign_advice(c.work[2 * q], here, square);
                        if q + 1 < pr.rounds {
                            // y_q = p_q^2 * x_q, with x_q the S-box input of round r
                            let sbox = at(&|tr| {
                                let x = tr.states[r][0] + p.round_constants[r][0];
                                tr.squares[r][0].square() * x
                            });
                            region.assign_advice(c.work[2 * q + 1], here, sbox);
                        }
                    }
                }
            }
        }
        let out_row = row + out_offset;
        let rounds = p.rounds();
        let output = c
            .state
            .iter()
            .enumerate()
            .map(|(i, col)| Self::advice(region, *col, out_row, at(&|tr| tr.states[rounds][i])))
            .collect();
        region.assign_fixed(c.round_constants[0], out_row, Fr::zero());
        Ok(PermutationCells {
            input: input_cells,
            output,
        })
    }

    /// Assigns the packing of `values` (at most ten) with `offset` from `row`; missing slots are pinned
    /// to `-o` (they pack as 0).
    pub fn assign_pack(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        values: &[Value<Fr>],
        offset: PackOffset,
    ) -> Result<PackCells, Error> {
        self.assign_pack_claimed(region, row, values, values, offset)
    }

    /// [`Self::assign_pack`] with the value cells holding `values` and the packed element computed from
    /// `claimed` (the same, for an honest prover): a packed element of other values than the cells hold
    /// fails the gate "poseidon pack".
    pub fn assign_pack_claimed(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        values: &[Value<Fr>],
        claimed: &[Value<Fr>],
        offset: PackOffset,
    ) -> Result<PackCells, Error> {
        let c = &self.config;
        if values.len() > VALUES_PER_ELEMENT || claimed.len() != values.len() {
            return Err(Error::Synthesis);
        }
        let slots = pack_slot_columns(&c.state, &c.work);
        region.assign_fixed(c.pack, row, Fr::one());
        let offset = offset.value();
        region.assign_fixed(c.pack_offset, row, offset);
        for r in 0..self.pack_rows() {
            region.assign_fixed(c.round_constants[0], row + r, Fr::zero());
        }
        let mut packed = Value::known(Fr::zero());
        let mut cells = Vec::with_capacity(values.len());
        for i in 0..VALUES_PER_ELEMENT {
            let (col, rot) = slots(i);
            let value = values.get(i).copied().unwrap_or(Value::known(-offset));
            let cell = Self::advice(region, col, row + rot as usize, value);
            if i < values.len() {
                cells.push(cell);
            } else {
                region.constrain_constant(cell.cell, -offset)?;
            }
            let claim = claimed.get(i).copied().unwrap_or(Value::known(-offset));
            packed = packed + claim.map(|v| (v + offset) * slot_weight(i));
        }
        let (col, rot) = slots(VALUES_PER_ELEMENT);
        let packed = Self::advice(region, col, row + rot as usize, packed);
        Ok(PackCells {
            values: cells,
            packed,
        })
    }

    /// Assigns the commitment to `values` (cells holding `u_i - o`, see [`PackOffset`]) under `salt`
    /// from `row`: the packings, then the chain of `Poseidon(t - 1)` calls over
    /// `[salt, n, P_0, ..]` ([`crate::poseidon::commitment`]; with the commitment width 6 this is
    /// [`crate::poseidon::commit`]). Takes [`Self::commitment_rows`] rows.
    pub fn assign_commitment(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        salt: Value<Fr>,
        values: &[Value<Fr>],
        offset: PackOffset,
    ) -> Result<CommitmentCells, Error> {
        self.assign_commitment_claimed(region, row, salt, values, values, offset)
    }

    /// [`Self::assign_commitment`] with the value cells holding `values` and the packing and chain
    /// computed from `claimed` (the vector the prover says it committed to; the same for an honest
    /// prover, see [`Self::assign_pack_claimed`]).
    pub fn assign_commitment_claimed(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        salt: Value<Fr>,
        values: &[Value<Fr>],
        claimed: &[Value<Fr>],
        offset: PackOffset,
    ) -> Result<CommitmentCells, Error> {
        let inputs = self.config.width() - 1;
        if inputs < 2 || claimed.len() != values.len() {
            return Err(Error::Synthesis);
        }
        let mut cursor = row;
        let mut value_cells = Vec::with_capacity(values.len());
        // the chain's elements: salt, n, then the packed elements (with their cells)
        let mut elements: Vec<(Value<Fr>, Option<Cell>)> = vec![
            (salt, None),
            (Value::known(Fr::from(values.len() as u64)), None),
        ];
        for (chunk, claims) in values
            .chunks(VALUES_PER_ELEMENT)
            .zip(claimed.chunks(VALUES_PER_ELEMENT))
        {
            let pack = self.assign_pack_claimed(region, cursor, chunk, claims, offset)?;
            cursor += self.pack_rows();
            value_cells.extend(pack.values);
            elements.push((pack.packed.value, Some(pack.packed.cell)));
        }
        let calls = chain_calls(elements.len(), inputs);
        // inputs of each call (state index = input index + 1), 0 where no element goes
        let mut blocks: Vec<Vec<Option<usize>>> = vec![vec![None; inputs]; calls];
        for e in 0..elements.len() {
            let (call, slot) = chain_position(e, inputs);
            blocks[call][slot] = Some(e);
        }
        let mut previous: Option<AssignedValue> = None;
        let mut salt_cell = None;
        for block in &blocks {
            let mut state = vec![Value::known(Fr::zero())];
            for (slot, e) in block.iter().enumerate() {
                state.push(match (slot, previous, e) {
                    (0, Some(h), _) => h.value,
                    (_, _, Some(e)) => elements[*e].0,
                    _ => Value::known(Fr::zero()),
                });
            }
            let perm = self.assign_permutation(region, cursor, &state)?;
            cursor += self.permutation_rows();
            region.constrain_constant(perm.input[0].cell, Fr::zero())?;
            for (slot, e) in block.iter().enumerate() {
                let cell = perm.input[slot + 1];
                match (slot, previous, e) {
                    (0, Some(h), _) => region.constrain_equal(h.cell, cell.cell),
                    (_, _, Some(0)) => salt_cell = Some(cell),
                    (_, _, Some(1)) => {
                        region.constrain_constant(cell.cell, Fr::from(values.len() as u64))?
                    }
                    (_, _, Some(e)) => match elements[*e].1 {
                        Some(packed) => region.constrain_equal(packed, cell.cell),
                        None => return Err(Error::Synthesis),
                    },
                    _ => region.constrain_constant(cell.cell, Fr::zero())?,
                }
            }
            previous = Some(perm.output[0]);
        }
        match (salt_cell, previous) {
            (Some(salt), Some(commitment)) => Ok(CommitmentCells {
                salt,
                values: value_cells,
                commitment,
                rows: cursor - row,
            }),
            _ => Err(Error::Synthesis),
        }
    }
}
