//! The limb lane: one output element per two rows (or one, in the one-row layout), with values of
//! `bits = 2t + 1` bits checked through a `2^t`-row range table, so precision does not cost table rows. On
//! the element's first row (the gate's row) and the next:
//!
//! ```text
//!            a  b  z  lq     lr     top     | m_a m_b c [m_ab] [is_bool] relu rc
//!   row 2j:  a  b  z  q_lo   r_lo   q_top   |  (per element)               rc
//!   row 2j+1          q_hi   r_hi   r_top   |                              rc
//! ```
//!
//! with `q = q_lo + 2^t q_hi + 2^(2t) q_top` and `r` the same. In the one-row layout (`limb_one_row`) the
//! second row's three cells have columns of their own on the first row, and the high limbs lookups of their
//! own ("limb range q high", "limb range r high"): 4 lookups and 9 advice columns per lane, one row per
//! element, for models whose lane rows set k. Gate "limb lane" (on the first row):
//! - "a*m_a + b*m_b + a*b*m_ab + c = q*2^bits + r": the rescale, as in the affine lane;
//! - "z = act(q)": `z = q` (identity), or `z = h * q_top * (q_lo + 2^t q_hi)` (Relu with `h = 1`: with the
//!   zero point at `2^(2t)`, the top bit is the sign, and `max(q - 2^(2t), 0)` is the low `2t` bits when it
//!   is set); with `lane_zadd`, plus `b * m_zb`, so that `max(a, b) = b + h * relu((a - b) / h)` and
//!   `min(a, b) = b - h * relu((b - a) / h)` take one element (`h = 2` when the difference was halved);
//! - "q top bit" and "r top bit": `top * (rc - top) = 0`: a bit where the row is range-checked (`rc = 1`),
//!   and 0 where it is not (`rc = 0`: the settings and binding rows);
//! - "q = r = 0 where unchecked": `(1 - rc) * (q + r) = 0`.
//!
//! Lookups "limb range q" and "limb range r": `lq` and `lr` on every row, in the one-column table
//! `[0, 2^t)` ([`RangeTableConfig`]; a single input expression keeps halo2's permuted columns small, so
//! their commitments are cheap). So every limb is in `[0, 2^t)` (both bounds). With `rc = 1`, `q, r` are in
//! `[0, 2^bits)`: the division by `2^bits` is exact over the integers, as in the affine lane. With
//! `rc = 0` the top bits are 0, so `q` and `r` are non-negative integers below `2^(2t)` whose sum is 0:
//! `q = r = 0`, and the gate pins `a` to `-c` (the settings digest) or to nothing at all (the binding row,
//! `m_a = 0`).
//!
//! Optional, as in the affine lane: the product term (`lane_mul`), the max/min steps (`lane_zadd`: fixed
//! `m_zb` and `h`) and the boolean gate (`lane_bool`: `is_bool * q * (1 - q) = 0`, the comparisons' sign
//! bit). Function tables need the affine lane's full-width table. Degrees: 4 (the rescale with a product,
//! the activation), 3 (top bits, boolean), 4 (lookups, as halo2 counts them).

use super::range_table::RangeTableConfig;
use super::{LaneCells, LaneRowValues};
use crate::field::fr_from_i128;
use crate::settings::LaneGate;
use crate::Fr;
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;

/// Name of the limb lane gate.
pub const LIMB_GATE: &str = "limb lane";
/// The rescale constraint.
pub const LIMB_CONSTRAINT: &str = "a*m_a + b*m_b + a*b*m_ab + c = q*2^bits + r";
/// The activation constraint.
pub const LIMB_ACT_CONSTRAINT: &str = "z = act(q)";
/// `q`'s top bit is a bit (0 where the row is not range-checked).
pub const Q_TOP_CONSTRAINT: &str = "q top bit";
/// `r`'s top bit is a bit (0 where the row is not range-checked).
pub const R_TOP_CONSTRAINT: &str = "r top bit";
/// `q` and `r` are 0 where the row is not range-checked (the settings and binding rows).
pub const UNCHECKED_CONSTRAINT: &str = "q = r = 0 where unchecked";
/// Name of the gate that makes a limb lane's quotient boolean.
pub const LIMB_BOOL_GATE: &str = "limb boolean";
/// Name of the lookup of `q`'s limbs.
pub const Q_LIMB_LOOKUP: &str = "limb range q";
/// Name of the lookup of `r`'s limbs.
pub const R_LIMB_LOOKUP: &str = "limb range r";
/// Name of the lookup of `q`'s high limb in the one-row layout (its own column).
pub const Q_HI_LIMB_LOOKUP: &str = "limb range q high";
/// Name of the lookup of `r`'s high limb in the one-row layout.
pub const R_HI_LIMB_LOOKUP: &str = "limb range r high";

/// Rows per element in one limb lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimbRowsInLane {
    /// The high limbs and the remainder's top bit in columns of their own (4 limb lookups).
    One,
    /// The high limbs on the element's second row (2 limb lookups).
    Two,
}

/// The limbs of one element: `[lo, hi, top]` of `q` and of `r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimbValues {
    /// `q = q[0] + 2^t q[1] + 2^(2t) q[2]`.
    pub q: [i128; 3],
    /// `r = r[0] + 2^t r[1] + 2^(2t) r[2]`.
    pub r: [i128; 3],
}

impl LimbValues {
    /// Splits `q` and `r` into `t`-bit limbs and what is left above them (a bit when the value is in
    /// `[0, 2^(2t+1))`).
    pub fn split(q: i128, r: i128, t: u32) -> Self {
        let mask = (1i128 << t) - 1;
        let limbs = |v: i128| [v & mask, (v >> t) & mask, v >> (2 * t)];
        Self {
            q: limbs(q),
            r: limbs(r),
        }
    }
}

/// The fixed part of an element.
#[derive(Debug, Clone, Copy)]
pub struct LimbRowFixed {
    /// Coefficient of `a`.
    pub m_a: Fr,
    /// Coefficient of `b`.
    pub m_b: Fr,
    /// Constant term.
    pub c: Fr,
    /// Product coefficient (ignored without the `m_ab` column).
    pub m_ab: Fr,
    /// `q` must be boolean (ignored without the `is_bool` column).
    pub boolean: bool,
    /// The activation has the Relu form `h * top * (q mod 2^(2t))` (Relu, max/min steps; else the
    /// identity).
    pub relu: bool,
    /// `h`: 1 for Relu, `±1` or `±2` for the max/min steps (ignored without the `h` column).
    pub h: Fr,
    /// Coefficient of `b` added to the activation (ignored without the `m_zb` column).
    pub m_zb: Fr,
    /// The limbs are range-checked (false: they are 0; the settings and binding rows).
    pub checked: bool,
}

/// Columns, gate and lookups of one limb lane.
#[derive(Debug, Clone)]
pub struct LimbLaneConfig {
    /// Input `a` (copied in).
    pub a: Column<Advice>,
    /// Input `b` (copied in; 0 when unused).
    pub b: Column<Advice>,
    /// Output `z = act(q)`, copied out.
    pub z: Column<Advice>,
    /// Limbs of `q`: low on the first row, high on the second.
    pub lq: Column<Advice>,
    /// Limbs of `r`.
    pub lr: Column<Advice>,
    /// Top bits: `q`'s on the first row, `r`'s on the second.
    pub top: Column<Advice>,
    /// The one-row layout (`limb_one_row`): `q`'s high limb, `r`'s high limb and `r`'s top bit in columns
    /// of their own on the element's row, instead of on the next row of `lq`, `lr` and `top`.
    pub one_row: Option<[Column<Advice>; 3]>,
    /// Coefficient of `a`.
    pub m_a: Column<Fixed>,
    /// Coefficient of `b`.
    pub m_b: Column<Fixed>,
    /// Constant term.
    pub c: Column<Fixed>,
    /// 1 where the activation is Relu.
    pub relu: Column<Fixed>,
    /// Range-check tag of both rows (1 checked, 0 forced to 0).
    pub rc: Column<Fixed>,
    /// Product coefficient (only with `lane_mul`).
    pub m_ab: Option<Column<Fixed>>,
    /// 1 where `q` must be boolean (only with `lane_bool`).
    pub is_bool: Option<Column<Fixed>>,
    /// Coefficient of `b` in `z` (only with `lane_zadd`: `max(a, b) = b + step`).
    pub m_zb: Option<Column<Fixed>>,
    /// The step's scale `h` (only with `lane_zadd`; without it `h` is the `relu` column).
    pub h: Option<Column<Fixed>>,
    /// Enables the gate on an element's first row.
    pub enable: Selector,
    /// Bits of a limb (`t`).
    pub limb_bits: u32,
}

impl LimbLaneConfig {
    /// Allocates a limb lane with `t = limb_bits`, checked against `table` (`[0, 2^t)`).
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        table: &RangeTableConfig,
        limb_bits: u32,
        gate: LaneGate,
        rows: LimbRowsInLane,
    ) -> Self {
        let LaneGate { mul, zadd, boolean } = gate;
        let one_row = rows == LimbRowsInLane::One;
        let [a, b, z, lq, lr, top] = [(); 6].map(|_| meta.advice_column());
        let wide = one_row.then(|| [(); 3].map(|_| meta.advice_column()));
        // where q's high limb, r's high limb, r's top bit and r's range tag sit: the next row of the
        // same columns, or their own columns on this row
        let (q_hi, r_hi, r_top_at, r_rot) = match wide {
            None => (
                (lq, Rotation::next()),
                (lr, Rotation::next()),
                (top, Rotation::next()),
                Rotation::next(),
            ),
            Some([q2, r2, t2]) => (
                (q2, Rotation::cur()),
                (r2, Rotation::cur()),
                (t2, Rotation::cur()),
                Rotation::cur(),
            ),
        };
        let [m_a, m_b, c, relu, rc] = [(); 5].map(|_| meta.fixed_column());
        let m_ab = mul.then(|| meta.fixed_column());
        let is_bool = boolean.then(|| meta.fixed_column());
        let m_zb = zadd.then(|| meta.fixed_column());
        let h = zadd.then(|| meta.fixed_column());
        let enable = meta.selector();
        for col in [a, b, z] {
            meta.enable_equality(col);
        }
        let t = limb_bits;
        let pow = |e: u32| Expression::Constant(fr_from_i128(1i128 << e));
        let bits = 2 * t + 1;
        // a value from its low limb, its high limb and its top bit
        let value = |m: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>,
                     lo: Column<Advice>,
                     hi: (Column<Advice>, Rotation),
                     top_at: (Column<Advice>, Rotation)| {
            m.query_advice(lo, Rotation::cur())
                + m.query_advice(hi.0, hi.1) * pow(t)
                + m.query_advice(top_at.0, top_at.1) * pow(2 * t)
        };
        meta.create_gate(LIMB_GATE, |m| {
            let en = m.query_selector(enable);
            let (av, bv, zv) = (
                m.query_advice(a, Rotation::cur()),
                m.query_advice(b, Rotation::cur()),
                m.query_advice(z, Rotation::cur()),
            );
            let q = value(m, lq, q_hi, (top, Rotation::cur()));
            let r = value(m, lr, r_hi, r_top_at);
            let mut lhs = av.clone() * m.query_fixed(m_a, Rotation::cur())
                + bv.clone() * m.query_fixed(m_b, Rotation::cur())
                + m.query_fixed(c, Rotation::cur());
            if let Some(col) = m_ab {
                lhs = lhs + av * bv * m.query_fixed(col, Rotation::cur());
            }
            let is_relu = m.query_fixed(relu, Rotation::cur());
            let scale = m.query_fixed(h.unwrap_or(relu), Rotation::cur());
            let one = Expression::Constant(Fr::one());
            let (q_top, r_top) = (
                m.query_advice(top, Rotation::cur()),
                m.query_advice(r_top_at.0, r_top_at.1),
            );
            let low = m.query_advice(lq, Rotation::cur()) + m.query_advice(q_hi.0, q_hi.1) * pow(t);
            let mut act = (one - is_relu) * q.clone() + scale * q_top.clone() * low;
            if let Some(col) = m_zb {
                act = act + bv_z(m, b) * m.query_fixed(col, Rotation::cur());
            }
            let (rc0, rc1) = (m.query_fixed(rc, Rotation::cur()), m.query_fixed(rc, r_rot));
            let unchecked = Expression::Constant(Fr::one()) - rc0.clone();
            vec![
                (
                    LIMB_CONSTRAINT,
                    en.clone() * (lhs - q.clone() * pow(bits) - r.clone()),
                ),
                (LIMB_ACT_CONSTRAINT, en.clone() * (zv - act)),
                (Q_TOP_CONSTRAINT, en.clone() * q_top.clone() * (rc0 - q_top)),
                (R_TOP_CONSTRAINT, en.clone() * r_top.clone() * (rc1 - r_top)),
                (UNCHECKED_CONSTRAINT, en * unchecked * (q + r)),
            ]
        });
        if let Some(col) = is_bool {
            meta.create_gate(LIMB_BOOL_GATE, |m| {
                let q = value(m, lq, q_hi, (top, Rotation::cur()));
                let sel = m.query_fixed(col, Rotation::cur());
                let one = Expression::Constant(Fr::one());
                vec![(
                    super::affine_lane::BOOL_CONSTRAINT,
                    sel * q.clone() * (one - q),
                )]
            });
        }
        let mut limb_columns = vec![(Q_LIMB_LOOKUP, lq), (R_LIMB_LOOKUP, lr)];
        if let Some([q2, r2, _]) = wide {
            limb_columns.extend([(Q_HI_LIMB_LOOKUP, q2), (R_HI_LIMB_LOOKUP, r2)]);
        }
        for (name, col) in limb_columns {
            meta.lookup(name, |m| {
                vec![(m.query_advice(col, Rotation::cur()), table.value)]
            });
        }
        Self {
            a,
            b,
            z,
            lq,
            lr,
            top,
            one_row: wide,
            m_a,
            m_b,
            c,
            relu,
            rc,
            m_ab,
            is_bool,
            m_zb,
            h,
            enable,
            limb_bits,
        }
    }
}

fn bv_z(m: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>, b: Column<Advice>) -> Expression<Fr> {
    m.query_advice(b, Rotation::cur())
}

/// Assigns limb lane elements.
#[derive(Debug, Clone)]
pub struct LimbLaneChip {
    config: LimbLaneConfig,
}

impl LimbLaneChip {
    /// A chip assigning elements of one configured limb lane.
    pub fn construct(config: LimbLaneConfig) -> Self {
        Self { config }
    }

    /// Assigns element `j` of the lane (rows `2j` and `2j + 1`, or row `j` in the one-row layout). `limbs`
    /// is `None` at key generation.
    pub fn assign_element(
        &self,
        region: &mut Region<'_, Fr>,
        j: usize,
        fixed: &LimbRowFixed,
        values: &LaneRowValues,
        limbs: Option<&LimbValues>,
    ) -> Result<LaneCells, Error> {
        let c = &self.config;
        let row = match c.one_row {
            Some(_) => j,
            None => 2 * j,
        };
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
                (c.h, fixed.h),
                (c.is_bool, Fr::from(fixed.boolean as u64)),
                (Some(c.relu), Fr::from(fixed.relu as u64)),
            ],
        );
        if fixed.checked {
            region.assign_fixed(c.rc, row, Fr::one());
            if c.one_row.is_none() {
                region.assign_fixed(c.rc, row + 1, Fr::one());
            }
        }
        let a = region.assign_advice(c.a, row, values.a).cell();
        let b = region.assign_advice(c.b, row, values.b).cell();
        let z = region.assign_advice(c.z, row, values.z).cell();
        let cell = |v: Option<i128>| v.map_or(Value::unknown(), |v| Value::known(fr_from_i128(v)));
        let (q, r) = (limbs.map(|l| l.q), limbs.map(|l| l.r));
        region.assign_advice(c.lq, row, cell(q.map(|q| q[0])));
        region.assign_advice(c.top, row, cell(q.map(|q| q[2])));
        region.assign_advice(c.lr, row, cell(r.map(|r| r[0])));
        let (hi, r_top) = (q.map(|q| q[1]), r.map(|r| r[2]));
        match c.one_row {
            None => {
                region.assign_advice(c.lq, row + 1, cell(hi));
                region.assign_advice(c.lr, row + 1, cell(r.map(|r| r[1])));
                region.assign_advice(c.top, row + 1, cell(r_top));
            }
            Some([q2, r2, t2]) => {
                region.assign_advice(q2, row, cell(hi));
                region.assign_advice(r2, row, cell(r.map(|r| r[1])));
                region.assign_advice(t2, row, cell(r_top));
            }
        }
        Ok(LaneCells { a, b, z })
    }
}
