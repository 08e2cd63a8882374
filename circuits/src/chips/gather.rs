//! The gather chip: elements picked by indices the circuit computes (`Gather`, `GatherElements`,
//! `GatherND` with indices from the model's input, as tree ensembles converted by hummingbird do).
//!
//! Each row holds, side by side and independently, one *table entry* and one *query*:
//!
//! - table entry: fixed `t_tag`, fixed `t_key`, advice `t_val`, fixed `t_const`, fixed `t_is_const`.
//!   An entry `(tag, key, value)` says "in the slice named `tag`, the index whose stored encoding is `key`
//!   picks `value`". For data computed by the model, `t_val` is copied from the range-checked lane cell of
//!   the element; for constant data, gate "gather constant" (`t_is_const * (t_val - t_const) = 0`) pins it
//!   to the fixed constant.
//! - query: fixed `q_tag`, advice `q_idx` (copied from the index tensor's lane cell), advice `q_out` (the
//!   picked value, copied into the lane row that stores the gather's output element).
//!
//! Lookup "gather" (`lookup_any`): `(q_tag, q_idx, q_out) ∈ {(t_tag, t_key, t_val)}`. A query's tag is the
//! slice its output element reads (each gather has its own tags, so several gathers share the columns),
//! and a slice's entries list exactly the valid indices (`0..len` and, as ONNX allows, `-len..0`) in the
//! index tensor's encoding: an index outside the axis, or an index cell that is not an exact integer of
//! its encoding, has no entry, so no proof exists for it. Rows without an entry or a query hold
//! `(0, 0, 0)` on both sides (tag 0 names no slice). Degree 4 (the lookup's, with degree-1 expressions);
//! the constant gate has degree 2.

use crate::Fr;
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed};
use halo2_proofs::poly::Rotation;

/// Name of the gather lookup.
pub const GATHER_LOOKUP: &str = "gather";

/// Name of the gate pinning a constant table entry's value.
pub const GATHER_CONST_GATE: &str = "gather constant";

/// Name of the constant gate's one constraint.
pub const GATHER_CONST_CONSTRAINT: &str = "t_val = t_const";

/// Columns of the gather chip.
#[derive(Debug, Clone)]
pub struct GatherConfig {
    /// Table side: the slice's tag.
    pub t_tag: Column<Fixed>,
    /// Table side: the stored encoding of the index.
    pub t_key: Column<Fixed>,
    /// Table side: the value the index picks.
    pub t_val: Column<Advice>,
    /// Table side: the value of a constant entry.
    pub t_const: Column<Fixed>,
    /// Table side: 1 on constant entries.
    pub t_is_const: Column<Fixed>,
    /// Query side: the slice's tag.
    pub q_tag: Column<Fixed>,
    /// Query side: the index (stored).
    pub q_idx: Column<Advice>,
    /// Query side: the picked value (stored).
    pub q_out: Column<Advice>,
}

impl GatherConfig {
    /// Allocates the columns, the constant gate and the lookup.
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        let c = GatherConfig {
            t_tag: meta.fixed_column(),
            t_key: meta.fixed_column(),
            t_val: meta.advice_column(),
            t_const: meta.fixed_column(),
            t_is_const: meta.fixed_column(),
            q_tag: meta.fixed_column(),
            q_idx: meta.advice_column(),
            q_out: meta.advice_column(),
        };
        for col in [c.t_val, c.q_idx, c.q_out] {
            meta.enable_equality(col);
        }
        meta.create_gate(GATHER_CONST_GATE, |m| {
            let on = m.query_fixed(c.t_is_const, Rotation::cur());
            let val = m.query_advice(c.t_val, Rotation::cur());
            let k = m.query_fixed(c.t_const, Rotation::cur());
            vec![(GATHER_CONST_CONSTRAINT, on * (val - k))]
        });
        meta.lookup_any(GATHER_LOOKUP, |m| {
            let cur = Rotation::cur();
            vec![
                (m.query_fixed(c.q_tag, cur), m.query_fixed(c.t_tag, cur)),
                (m.query_advice(c.q_idx, cur), m.query_fixed(c.t_key, cur)),
                (m.query_advice(c.q_out, cur), m.query_advice(c.t_val, cur)),
            ]
        });
        c
    }
}

/// One table entry: its tag and key, and its value when constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatherEntryFixed {
    /// The slice's tag (non-zero).
    pub tag: u64,
    /// The index's stored encoding.
    pub key: Fr,
    /// The value of a constant entry (`None`: copied from the data's cell).
    pub constant: Option<Fr>,
}

/// The cells of one query.
#[derive(Debug, Clone, Copy)]
pub struct GatherQueryCells {
    /// The index cell.
    pub idx: Cell,
    /// The picked value's cell.
    pub out: Cell,
}

/// Assigns the gather chip's rows.
#[derive(Debug, Clone)]
pub struct GatherChip {
    config: GatherConfig,
}

impl GatherChip {
    /// A chip assigning rows of a configured gather chip.
    pub fn construct(config: GatherConfig) -> Self {
        Self { config }
    }

    /// Assigns one table entry at `row`; returns its value cell.
    pub fn assign_entry(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        entry: &GatherEntryFixed,
        value: Value<Fr>,
    ) -> Result<Cell, Error> {
        let c = &self.config;
        region.assign_fixed(c.t_tag, row, Fr::from(entry.tag));
        region.assign_fixed(c.t_key, row, entry.key);
        if let Some(k) = entry.constant {
            region.assign_fixed(c.t_is_const, row, Fr::one());
            region.assign_fixed(c.t_const, row, k);
        }
        Ok(region.assign_advice(c.t_val, row, value).cell())
    }

    /// Assigns one query at `row`: its tag, index and picked value.
    pub fn assign_query(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        tag: u64,
        (idx, out): (Value<Fr>, Value<Fr>),
    ) -> Result<GatherQueryCells, Error> {
        let c = &self.config;
        region.assign_fixed(c.q_tag, row, Fr::from(tag));
        let idx = region.assign_advice(c.q_idx, row, idx).cell();
        let out = region.assign_advice(c.q_out, row, out).cell();
        Ok(GatherQueryCells { idx, out })
    }
}
