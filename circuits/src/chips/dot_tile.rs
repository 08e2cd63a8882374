//! The dot-product tile: exact integer dot products of two activation vectors (a product of two
//! activations, `A @ B`). Per row, P pairs of advice inputs `(x_t, y_t)`, one advice running sum `acc`,
//! fixed per-slot switches `on_t`, fixed operand offsets `ox`, `oy`, fixed `chain` and `start`. Gate
//! "dot tile", one constraint "acc":
//!
//! `enable * (acc - chain * acc[prev] - start - sum_t on_t * (x_t - ox) * (y_t - oy)) = 0`
//!
//! Activations are stored offset-encoded (`real = (stored - offset) / 2^scale`), so `(x_t - ox)` is the
//! signed quantised operand; `ox`/`oy` are the offsets of the two operands' encodings. `chain` is 0 on the
//! first row of a dot product and 1 after; `start` (on first rows) is a power of two above the largest
//! negative partial sum, so every running sum is a small non-negative integer (cheap to commit). A slot past
//! the end of a dot product (its length not a multiple of P) has `on_t = 0`: its cells are multiplied by a
//! fixed 0, so whatever they hold cannot reach `acc`. Degree 4 (`enable * on_t * x_t * y_t`).
//!
//! Every live `x_t`/`y_t` is copied from the `z` cell of the lane row holding the operand element (a lane
//! output, range-checked to `[0, 2^bits)` with `bits <= lookup_bits <= 24`); a dot product's last `acc`
//! is copied into the `a` cell of its rescale lane row. Bound: each term is below `2^(2*24)` in absolute
//! value, `start <= 2 * K * 2^48`, so for a length K < 2^32 every running sum is below `2^83`, far below
//! the field's 2^253: the gate's identity holds over the integers, and so does the rescale lane's.

use crate::Fr;
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;

/// Name of the dot tile gate.
pub const DOT_GATE: &str = "dot tile";

/// Name of the dot tile gate's one constraint.
pub const DOT_CONSTRAINT: &str = "acc";

/// Columns and gate of the dot tile.
#[derive(Debug, Clone)]
pub struct DotTileConfig {
    /// The P left-operand columns.
    pub x: Vec<Column<Advice>>,
    /// The P right-operand columns.
    pub y: Vec<Column<Advice>>,
    /// The running sum.
    pub acc: Column<Advice>,
    /// Per slot: 1 where the slot holds a pair of the dot product, 0 on padding.
    pub on: Vec<Column<Fixed>>,
    /// Offset of the left operand's encoding.
    pub ox: Column<Fixed>,
    /// Offset of the right operand's encoding.
    pub oy: Column<Fixed>,
    /// 1 where a row continues the previous row's sum, 0 on first rows.
    pub chain: Column<Fixed>,
    /// Starting offset of a dot product (on first rows).
    pub start: Column<Fixed>,
    /// Enables the gate on a row.
    pub enable: Selector,
}

impl DotTileConfig {
    /// Allocates a tile of `pairs` operand pairs per row and its gate.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pairs: usize) -> Self {
        let x: Vec<_> = (0..pairs).map(|_| meta.advice_column()).collect();
        let y: Vec<_> = (0..pairs).map(|_| meta.advice_column()).collect();
        let acc = meta.advice_column();
        let on: Vec<_> = (0..pairs).map(|_| meta.fixed_column()).collect();
        let (ox, oy) = (meta.fixed_column(), meta.fixed_column());
        let (chain, start, enable) = (meta.fixed_column(), meta.fixed_column(), meta.selector());
        for c in x.iter().chain(&y).chain([&acc]) {
            meta.enable_equality(*c);
        }
        meta.create_gate(DOT_GATE, |m| {
            let en = m.query_selector(enable);
            let fixed = |m: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>, c| {
                m.query_fixed(c, Rotation::cur())
            };
            let (chain, start) = (fixed(m, chain), fixed(m, start));
            let (ox, oy) = (fixed(m, ox), fixed(m, oy));
            let mut dot = Expression::Constant(Fr::zero());
            for t in 0..pairs {
                let xt = m.query_advice(x[t], Rotation::cur());
                let yt = m.query_advice(y[t], Rotation::cur());
                dot = dot + fixed(m, on[t]) * (xt - ox.clone()) * (yt - oy.clone());
            }
            let cur = m.query_advice(acc, Rotation::cur());
            let prev = m.query_advice(acc, Rotation::prev());
            vec![(DOT_CONSTRAINT, en * (cur - chain * prev - start - dot))]
        });
        Self {
            x,
            y,
            acc,
            on,
            ox,
            oy,
            chain,
            start,
            enable,
        }
    }
}

/// Cells of one assigned dot tile row.
#[derive(Debug, Clone)]
pub struct DotCells {
    /// The left-operand cells.
    pub x: Vec<Cell>,
    /// The right-operand cells.
    pub y: Vec<Cell>,
    /// The running-sum cell.
    pub acc: Cell,
}

/// The fixed values of one dot tile row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DotRowFixed {
    /// Live slots (the first `live` slots hold pairs; the rest are switched off).
    pub live: usize,
    /// Offset of the left operand's encoding.
    pub ox: Fr,
    /// Offset of the right operand's encoding.
    pub oy: Fr,
    /// First row of a dot product.
    pub first: bool,
    /// The dot product's starting offset (used on first rows).
    pub start: Fr,
}

/// Assigns dot tile rows.
#[derive(Debug, Clone)]
pub struct DotTileChip {
    config: DotTileConfig,
}

impl DotTileChip {
    /// A chip assigning rows of a configured dot tile.
    pub fn construct(config: DotTileConfig) -> Self {
        Self { config }
    }

    /// Assigns one row: fixed values, operand pairs and the running sum.
    pub fn assign_row(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        fixed: &DotRowFixed,
        (x, y): (&[Value<Fr>], &[Value<Fr>]),
        acc: Value<Fr>,
    ) -> Result<DotCells, Error> {
        let c = &self.config;
        c.enable.enable(region, row)?;
        region.assign_fixed(c.chain, row, Fr::from(!fixed.first as u64));
        if fixed.first {
            region.assign_fixed(c.start, row, fixed.start);
        }
        region.assign_fixed(c.ox, row, fixed.ox);
        region.assign_fixed(c.oy, row, fixed.oy);
        for col in c.on.iter().take(fixed.live) {
            region.assign_fixed(*col, row, Fr::one());
        }
        let mut assign = |cols: &[Column<Advice>], vals: &[Value<Fr>]| -> Vec<Cell> {
            cols.iter()
                .zip(vals)
                .map(|(col, v)| region.assign_advice(*col, row, *v).cell())
                .collect()
        };
        let (x, y) = (assign(&c.x, x), assign(&c.y, y));
        let acc = region.assign_advice(c.acc, row, acc).cell();
        Ok(DotCells { x, y, acc })
    }
}
