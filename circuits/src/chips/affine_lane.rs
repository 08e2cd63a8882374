//! The affine lane: one output element per row. Gate "affine lane":
//!
//! `enable * (a * m_a + b * m_b + c - q * 2^bits - r) = 0`
//!
//! with `m_a, m_b, c` fixed per row, and two lookups into the shared table:
//! - "lane remainder" `(tag_r, r, r)`: `r in [0, 2^bits)` (both bounds), so `q = floor((a*m_a + b*m_b + c) / 2^bits)`
//!   exactly: division with a stated rounding (the `+ 2^(bits-1)` for round-half-up is folded into `c`);
//! - "lane activation" `(tag_q, q, z)`: `q in [0, 2^bits)` and `z = f(q)` for the sub-table `tag_q` selects
//!   (identity or Relu), so the activation is decided by the table, never by a hint.
//!
//! Two optional terms, switched on by the layout (`lane_mul`, `lane_zadd`) only for models that need them:
//! a product `a * b * m_ab` in the gate (element-wise products of activations; degree 4 with the selector),
//! and the activation lookup reading `z - b * m_zb` instead of `z` (degree 5), so that `z = b + step(q)`
//! computes `max(a, b)` and `min(a, b)` in one row.
//!
//! A third optional term (`lane_bool`) makes the quotient a boolean where the fixed `is_bool` is 1: gate
//! "boolean", `is_bool * q * (1 - q) = 0`. With `r` range-checked, a row computing `d + 2^bits` for a
//! difference `d` in `[-2^bits, 2^bits)` then has `q = [d >= 0]`: the sign bit of the difference, so
//! comparisons need no table of their own; logic ops on booleans (Not, And, Or, Xor) and boolean inputs
//! keep their `q` in {0, 1} the same way.
//!
//! Unused rows have tags 0 and must hold `r = q = z = 0`. Every value entering `a` and `b` is bounded by
//! construction (copied from range-checked cells or tile sums of them), so the identity holds over the
//! integers, not only modulo p. Degree 3 (gate), 4 (lookups).

use super::lookup_table::LookupTableConfig;
use crate::settings::LaneGate;
use crate::Fr;
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;

/// Name of the lane gate.
pub const LANE_GATE: &str = "affine lane";
/// Name of the lane gate's one constraint.
pub const LANE_CONSTRAINT: &str = "a*m_a + b*m_b + a*b*m_ab + c = q*2^bits + r";
/// Name of the lookup that range-checks the remainder `r`.
pub const REMAINDER_LOOKUP: &str = "lane remainder";
/// Name of the lookup of `(q, z)` in the activation sub-table.
pub const ACTIVATION_LOOKUP: &str = "lane activation";
/// Name of the gate that makes a lane's quotient boolean.
pub const BOOL_GATE: &str = "boolean";
/// Name of the boolean gate's one constraint.
pub const BOOL_CONSTRAINT: &str = "q*(1-q) = 0";

/// Columns, gate and lookups of one lane.
#[derive(Debug, Clone)]
pub struct AffineLaneConfig {
    /// Input `a` (copied in).
    pub a: Column<Advice>,
    /// Input `b` (copied in; 0 when unused).
    pub b: Column<Advice>,
    /// Quotient `q`: the pre-activation value, looked up with `z`.
    pub q: Column<Advice>,
    /// Remainder `r` in `[0, 2^bits)`.
    pub r: Column<Advice>,
    /// Output `z = act(q)` (plus `b * m_zb`), copied out.
    pub z: Column<Advice>,
    /// Coefficient of `a`.
    pub m_a: Column<Fixed>,
    /// Coefficient of `b`.
    pub m_b: Column<Fixed>,
    /// Constant term (bias, offsets and rounding).
    pub c: Column<Fixed>,
    /// Table tag of the remainder lookup (the identity table; 0 on unused rows).
    pub tag_r: Column<Fixed>,
    /// Table tag of the activation lookup.
    pub tag_q: Column<Fixed>,
    /// Product coefficient (only with `lane_mul`).
    pub m_ab: Option<Column<Fixed>>,
    /// Coefficient of `b` subtracted from `z` in the activation lookup (only with `lane_zadd`).
    pub m_zb: Option<Column<Fixed>>,
    /// 1 where `q` must be boolean (only with `lane_bool`).
    pub is_bool: Option<Column<Fixed>>,
    /// Enables the lane gate on a row.
    pub enable: Selector,
}

impl AffineLaneConfig {
    /// Allocates a lane whose quotient is taken by `2^bits`, checked against `table`.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        table: &LookupTableConfig,
        bits: u32,
        gate: LaneGate,
    ) -> Self {
        let LaneGate { mul, zadd, boolean } = gate;
        let [a, b, q, r, z] = [(); 5].map(|_| meta.advice_column());
        let [m_a, m_b, c, tag_r, tag_q] = [(); 5].map(|_| meta.fixed_column());
        let m_ab = mul.then(|| meta.fixed_column());
        let m_zb = zadd.then(|| meta.fixed_column());
        let is_bool = boolean.then(|| meta.fixed_column());
        let enable = meta.selector();
        for col in [a, b, z] {
            meta.enable_equality(col);
        }
        let pow = Fr::from(1u64 << bits);
        meta.create_gate(LANE_GATE, |m| {
            let cur = |col: Column<Advice>, m: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>| {
                m.query_advice(col, Rotation::cur())
            };
            let (av, bv, qv, rv) = (cur(a, m), cur(b, m), cur(q, m), cur(r, m));
            let (ma, mb, cc) = (
                m.query_fixed(m_a, Rotation::cur()),
                m.query_fixed(m_b, Rotation::cur()),
                m.query_fixed(c, Rotation::cur()),
            );
            let en = m.query_selector(enable);
            let product =
                m_ab.map(|col| av.clone() * bv.clone() * m.query_fixed(col, Rotation::cur()));
            let mut lhs = av * ma + bv * mb + cc;
            if let Some(p) = product {
                lhs = lhs + p;
            }
            vec![(
                LANE_CONSTRAINT,
                en * (lhs - qv * Expression::Constant(pow) - rv),
            )]
        });
        if let Some(col) = is_bool {
            meta.create_gate(BOOL_GATE, |m| {
                let qv = m.query_advice(q, Rotation::cur());
                let sel = m.query_fixed(col, Rotation::cur());
                let one = Expression::Constant(Fr::one());
                vec![(BOOL_CONSTRAINT, sel * qv.clone() * (one - qv))]
            });
        }
        meta.lookup(REMAINDER_LOOKUP, |m| {
            let (t, rv) = (
                m.query_fixed(tag_r, Rotation::cur()),
                m.query_advice(r, Rotation::cur()),
            );
            vec![(t, table.tag), (rv.clone(), table.x), (rv, table.y)]
        });
        meta.lookup(ACTIVATION_LOOKUP, |m| {
            let t = m.query_fixed(tag_q, Rotation::cur());
            let (qv, mut zv) = (
                m.query_advice(q, Rotation::cur()),
                m.query_advice(z, Rotation::cur()),
            );
            if let Some(col) = m_zb {
                zv = zv - m.query_advice(b, Rotation::cur()) * m.query_fixed(col, Rotation::cur());
            }
            vec![(t, table.tag), (qv, table.x), (zv, table.y)]
        });
        Self {
            a,
            b,
            q,
            r,
            z,
            m_a,
            m_b,
            c,
            tag_r,
            tag_q,
            m_ab,
            m_zb,
            is_bool,
            enable,
        }
    }
}

/// The fixed part of a lane row.
#[derive(Debug, Clone, Copy)]
pub struct LaneRowFixed {
    /// Coefficient of `a`.
    pub m_a: Fr,
    /// Coefficient of `b`.
    pub m_b: Fr,
    /// Constant term.
    pub c: Fr,
    /// Product coefficient (ignored without the `m_ab` column).
    pub m_ab: Fr,
    /// Coefficient of `b` in the activation lookup (ignored without the `m_zb` column).
    pub m_zb: Fr,
    /// `q` must be boolean (ignored without the `is_bool` column).
    pub boolean: bool,
    /// Tag of the range (identity) sub-table for `r`.
    pub tag_r: u64,
    /// Tag of the activation sub-table for `(q, z)`.
    pub tag_q: u64,
}

/// The witness of a lane row.
#[derive(Debug, Clone, Copy)]
pub struct LaneRowValues {
    /// Input `a`.
    pub a: Value<Fr>,
    /// Input `b`.
    pub b: Value<Fr>,
    /// Quotient `q`.
    pub q: Value<Fr>,
    /// Remainder `r`.
    pub r: Value<Fr>,
    /// Output `z`.
    pub z: Value<Fr>,
}

/// Cells of an assigned lane row that take part in copies.
#[derive(Debug, Clone, Copy)]
pub struct LaneCells {
    /// The `a` cell.
    pub a: Cell,
    /// The `b` cell.
    pub b: Cell,
    /// The `z` cell.
    pub z: Cell,
}

/// Assigns lane rows.
#[derive(Debug, Clone)]
pub struct AffineLaneChip {
    config: AffineLaneConfig,
}

impl AffineLaneChip {
    /// A chip assigning rows of one configured lane.
    pub fn construct(config: AffineLaneConfig) -> Self {
        Self { config }
    }

    /// Assigns one row.
    pub fn assign_row(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        fixed: &LaneRowFixed,
        values: &LaneRowValues,
    ) -> Result<LaneCells, Error> {
        let c = &self.config;
        c.enable.enable(region, row)?;
        super::assign_nonzero_fixed(
            region,
            row,
            [
                (Some(c.m_a), fixed.m_a),
                (Some(c.m_b), fixed.m_b),
                (Some(c.c), fixed.c),
                (c.m_ab, fixed.m_ab),
                (c.m_zb, fixed.m_zb),
                (c.is_bool, Fr::from(fixed.boolean as u64)),
            ],
        );
        region.assign_fixed(c.tag_r, row, Fr::from(fixed.tag_r));
        region.assign_fixed(c.tag_q, row, Fr::from(fixed.tag_q));
        let a = region.assign_advice(c.a, row, values.a).cell();
        let b = region.assign_advice(c.b, row, values.b).cell();
        region.assign_advice(c.q, row, values.q);
        region.assign_advice(c.r, row, values.r);
        let z = region.assign_advice(c.z, row, values.z).cell();
        Ok(LaneCells { a, b, z })
    }
}
