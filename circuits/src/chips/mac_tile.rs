//! The multiply-accumulate tile: per row, B*K fixed weights `w_{k,t}` shared by P position lanes, each lane
//! `p` with B advice inputs `x_{p,t}` and K advice running sums `acc_{p,k}`. Gate "mac tile", one constraint
//! per lane and output:
//!
//! `enable * (acc_{p,k} - chain * acc_{p,k}[prev] - start - sum_t x_{p,t} * w_{k,t}) = 0`
//!
//! P output positions of a convolution (or leading rows of a dense layer) that use the same weight matrix
//! share one row, so the weights cost one fixed cell per P multiply-accumulates. With P = 1 the tile's
//! columns, gate and constraint names are those of the one-position tile (so are its keys).
//!
//! `chain` (fixed) is 0 on the first row of a dot product and 1 after; `start` (fixed) is the offset that
//! keeps every partial sum non-negative, set on first rows. Weights in fixed columns bind the model to the
//! verifying key and cost no advice cell or copy. Degree 3. Inputs arrive by copy constraints on the `x`
//! columns; a dot product's final sum leaves by a copy from its `acc` cell.

use crate::Fr;
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;

/// Name of the tile gate.
pub const MAC_GATE: &str = "mac tile";

/// Name of the tile gate's constraint for output `k` of position lane 0 (constraint index `k`).
pub fn mac_constraint(k: usize) -> String {
    format!("acc[{k}]")
}

/// Name of the tile gate's constraint for output `k` of position lane `p` (constraint index `p * K + k`):
/// [`mac_constraint`] for lane 0, `acc[p][k]` for the others.
pub fn mac_lane_constraint(p: usize, k: usize) -> String {
    match p {
        0 => mac_constraint(k),
        p => format!("acc[{p}][{k}]"),
    }
}

/// Columns and gate of the tile.
#[derive(Debug, Clone)]
pub struct MacTileConfig {
    /// The P*B input columns: `x[p * B + t]` is input `t` of position lane `p`.
    pub x: Vec<Column<Advice>>,
    /// The P*K running-sum columns: `acc[p * K + k]` is output `k` of position lane `p`.
    pub acc: Vec<Column<Advice>>,
    /// `weight[k * B + t]` multiplies `x[t]` into `acc[k]`.
    pub weight: Vec<Column<Fixed>>,
    /// 1 where a row continues the previous row's sums, 0 on first rows.
    pub chain: Column<Fixed>,
    /// Starting offset of a dot product (on first rows).
    pub start: Column<Fixed>,
    /// Enables the tile gate on a row.
    pub enable: Selector,
}

impl MacTileConfig {
    /// Allocates a B x K tile with P position lanes and its gate.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        inputs: usize,
        outputs: usize,
        positions: usize,
    ) -> Self {
        let positions = positions.max(1);
        let x: Vec<_> = (0..positions * inputs)
            .map(|_| meta.advice_column())
            .collect();
        let acc: Vec<_> = (0..positions * outputs)
            .map(|_| meta.advice_column())
            .collect();
        let weight: Vec<_> = (0..inputs * outputs).map(|_| meta.fixed_column()).collect();
        let (chain, start, enable) = (meta.fixed_column(), meta.fixed_column(), meta.selector());
        for c in x.iter().chain(&acc) {
            meta.enable_equality(*c);
        }
        meta.create_gate(MAC_GATE, |m| {
            let en = m.query_selector(enable);
            let chain = m.query_fixed(chain, Rotation::cur());
            let start = m.query_fixed(start, Rotation::cur());
            let xs: Vec<_> = x
                .iter()
                .map(|c| m.query_advice(*c, Rotation::cur()))
                .collect();
            let ws: Vec<_> = weight
                .iter()
                .map(|c| m.query_fixed(*c, Rotation::cur()))
                .collect();
            (0..positions)
                .flat_map(|p| (0..outputs).map(move |k| (p, k)))
                .map(|(p, k)| {
                    let col = acc[p * outputs + k];
                    let cur = m.query_advice(col, Rotation::cur());
                    let prev = m.query_advice(col, Rotation::prev());
                    let dot = (0..inputs).fold(Expression::Constant(Fr::zero()), |s, t| {
                        s + xs[p * inputs + t].clone() * ws[k * inputs + t].clone()
                    });
                    (
                        mac_lane_constraint(p, k),
                        en.clone() * (cur - chain.clone() * prev - start.clone() - dot),
                    )
                })
                .collect::<Vec<_>>()
        });
        Self {
            x,
            acc,
            weight,
            chain,
            start,
            enable,
        }
    }
}

/// Cells of one assigned tile row.
#[derive(Debug, Clone)]
pub struct TileCells {
    /// The input cells.
    pub x: Vec<Cell>,
    /// The running-sum cells.
    pub acc: Vec<Cell>,
}

/// Assigns tile rows.
#[derive(Debug, Clone)]
pub struct MacTileChip {
    config: MacTileConfig,
}

impl MacTileChip {
    /// A chip assigning rows of a configured tile.
    pub fn construct(config: MacTileConfig) -> Self {
        Self { config }
    }

    /// Assigns one row: inputs (`x[p * B + t]`), weights (`w[k * B + t]`), chain/start and running sums
    /// (`acc[p * K + k]`).
    #[allow(clippy::too_many_arguments)]
    pub fn assign_row(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        x: &[Value<Fr>],
        w: &[Fr],
        first: bool,
        start: Fr,
        acc: &[Value<Fr>],
    ) -> Result<TileCells, Error> {
        let c = &self.config;
        c.enable.enable(region, row)?;
        region.assign_fixed(c.chain, row, if first { Fr::zero() } else { Fr::one() });
        if first {
            region.assign_fixed(c.start, row, start);
        }
        for (col, v) in c.weight.iter().zip(w) {
            if *v != Fr::zero() {
                region.assign_fixed(*col, row, *v);
            }
        }
        let x =
            c.x.iter()
                .zip(x)
                .map(|(col, v)| region.assign_advice(*col, row, *v).cell())
                .collect();
        let acc = c
            .acc
            .iter()
            .zip(acc)
            .map(|(col, v)| region.assign_advice(*col, row, *v).cell())
            .collect();
        Ok(TileCells { x, acc })
    }
}
