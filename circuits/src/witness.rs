//! Witness generation: exact integer inference over the row plan. Every value the circuit will hold is
//! computed here, and every range the circuit checks is checked here first, so an input the circuit cannot
//! prove fails with an error naming the node and value, never deep inside the prover.
//!
//! Ops run in order; inside an op, dot products and lane rows are independent and run in parallel (rayon,
//! feature `parallel`).

use crate::chips::LimbValues;
use crate::error::{CircuitError, Result};
use crate::layout::{GatherValue, Plan, Src};
use crate::poseidon::Opening;
use crate::quant::QuantModel;
use crate::settings::TableKind;
use crate::visibility::{InstanceLayout, Visibility};
use crate::Fr;

/// Values of one lane row (stored integers; tests may tamper with them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LaneValues {
    /// Input `a`.
    pub a: i128,
    /// Input `b`.
    pub b: i128,
    /// Quotient `q`.
    pub q: i128,
    /// Remainder `r`.
    pub r: i128,
    /// Output `z`.
    pub z: i128,
}

/// Values of one tile row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TileValues {
    /// Input slots `p * B + t` (0 for padding).
    pub x: Vec<i128>,
    /// Running sums `p * K + k` after this row.
    pub acc: Vec<i128>,
}

/// Values of one dot tile row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DotValues {
    /// Left-operand slots (0 where switched off).
    pub x: Vec<i128>,
    /// Right-operand slots (0 where switched off).
    pub y: Vec<i128>,
    /// Running sum after this row.
    pub acc: i128,
}

/// Values of one gather query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GatherValues {
    /// The index (stored).
    pub index: i128,
    /// The picked value (stored).
    pub out: i128,
}

/// The full witness, aligned with the plan's rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Witness {
    /// Lane rows, aligned with the plan's.
    pub lanes: Vec<LaneValues>,
    /// Tile rows, aligned with the plan's.
    pub tiles: Vec<TileValues>,
    /// Dot tile rows, aligned with the plan's.
    pub dots: Vec<DotValues>,
    /// Gather queries, aligned with the plan's.
    pub gathers: Vec<GatherValues>,
    /// Gather table entries' values, aligned with the plan's.
    pub gather_entries: Vec<i128>,
    /// The limbs of every lane row's `q` and `r`, aligned with `lanes`, when the layout has limb lanes
    /// (`limb_bits > 0`; empty otherwise).
    pub limbs: Vec<LimbValues>,
    /// Public instances: stored inputs, then stored outputs (the settings digest and the binding value
    /// follow, in `settings_digest` and `bind`).
    pub instances: Vec<i128>,
    /// The settings digest (the plan's, see [`crate::settings::Settings::digest`]).
    pub settings_digest: Fr,
    /// The binding instance (0 unless the proof is bound to something, such as a market job).
    pub bind: Fr,
    /// Where each of `instances` goes in the statement (the plan's [`InstanceLayout`]).
    pub instance_layout: InstanceLayout,
    /// One salt per hashed tensor, in commitment order (0 until the prover draws them:
    /// [`Witness::with_salts`]).
    pub salts: Vec<Fr>,
}

impl Witness {
    /// Every public instance as a field element: each input's and output's by its visibility (stored
    /// values, or the commitment under its salt), the settings digest, the binding value. A stored value
    /// outside the committable range (which the circuit's range checks refuse anyway) commits as 0, so the
    /// proof fails rather than this panicking.
    pub fn field_instances(&self) -> Vec<Fr> {
        let layout = &self.instance_layout;
        match layout.field_instances(
            &self.instances,
            &self.salts,
            self.settings_digest,
            self.bind,
        ) {
            Ok(v) => v,
            Err(_) => {
                let mut v = vec![Fr::zero(); layout.num_instances()];
                let n = v.len();
                v[n - 2] = self.settings_digest;
                v[n - 1] = self.bind;
                v
            }
        }
    }

    /// Sets the salts of the hashed tensors' commitments (one per hashed tensor, in order: draw each
    /// uniformly at random, see [`crate::poseidon`]).
    pub fn with_salts(mut self, salts: Vec<Fr>) -> Self {
        self.salts = salts;
        self
    }

    /// The opening of each hashed tensor's commitment: its stored values and salt.
    pub fn openings(&self) -> Vec<Opening> {
        let layout = &self.instance_layout;
        let mut start = 0;
        let mut out = Vec::new();
        for t in &layout.tensors {
            let end = (start + t.numel).min(self.instances.len());
            if t.visibility == Visibility::Hashed {
                out.push(Opening {
                    values: self.instances[start.min(end)..end].to_vec(),
                    salt: self.salts.get(out.len()).copied().unwrap_or(Fr::zero()),
                });
            }
            start += t.numel;
        }
        out
    }

    /// Binds the proof to a value (see [`crate::settings::Settings::bind_instance`]).
    pub fn with_bind(mut self, bind: Fr) -> Self {
        self.bind = bind;
        self
    }

    /// The stored values of the outputs, in order.
    pub fn output_values(&self, plan: &Plan) -> Vec<i128> {
        plan.outputs
            .iter()
            .map(|&r| self.lanes[r as usize].z)
            .collect()
    }
}

#[cfg(feature = "parallel")]
fn map_collect<T: Send, F: Fn(usize) -> T + Sync + Send>(
    range: std::ops::Range<usize>,
    f: F,
) -> Vec<T> {
    use rayon::prelude::*;
    range.into_par_iter().map(f).collect()
}

#[cfg(not(feature = "parallel"))]
fn map_collect<T, F: Fn(usize) -> T>(range: std::ops::Range<usize>, f: F) -> Vec<T> {
    range.map(f).collect()
}

/// Quantises the inputs (one flat vector per graph input) into stored values.
pub fn quantise_inputs(qm: &QuantModel, inputs: &[Vec<f64>]) -> Result<Vec<i128>> {
    if inputs.len() != qm.inputs.len() {
        return Err(CircuitError::InputCount {
            expected: qm.inputs.len(),
            got: inputs.len(),
        });
    }
    let mut out = Vec::new();
    for (index, (&t, values)) in qm.inputs.iter().zip(inputs).enumerate() {
        let info = &qm.tensors[t];
        if values.len() != info.numel() {
            return Err(CircuitError::InputShape {
                index,
                name: info.name.clone(),
                shape: info.shape.clone(),
                expected: info.numel(),
                got: values.len(),
            });
        }
        for (element, &value) in values.iter().enumerate() {
            if !value.is_finite() {
                return Err(CircuitError::NonFinite {
                    index,
                    name: info.name.clone(),
                    element,
                    value,
                });
            }
            let e = info.encoding;
            let stored = e.quantise(value).ok_or(CircuitError::InputOutOfRange {
                index,
                name: info.name.clone(),
                element,
                value,
                min: e.min_value(),
                max: e.max_value(),
            })?;
            out.push(stored as i128);
        }
    }
    Ok(out)
}

/// `a*m_a + b*m_b + a*b*m_ab + c` of a lane row.
fn lane_sum(row: &crate::layout::LaneRow, a: i128, b: i128) -> i128 {
    a * row.m_a as i128 + b * row.m_b as i128 + a * b * row.m_ab as i128 + row.c as i128
}

/// The values of a range of dot tile rows (whole dot products, each starting at a `first` row) from the
/// lane rows computed so far, dot products in parallel: the operand pairs and the running sums
/// `start + sum (x - ox)(y - oy)`.
fn dot_rows(plan: &Plan, rows: std::ops::Range<usize>, lanes: &[LaneValues]) -> Vec<DotValues> {
    let starts: Vec<usize> = rows.clone().filter(|&i| plan.dot_rows[i].first).collect();
    let segments = map_collect(0..starts.len(), |s| {
        let end = starts.get(s + 1).copied().unwrap_or(rows.end);
        let mut acc = 0i128;
        let mut out = Vec::with_capacity(end - starts[s]);
        for row in &plan.dot_rows[starts[s]..end] {
            let get = |src: &Option<u32>| src.map_or(0, |l| lanes[l as usize].z);
            let x: Vec<i128> = row.x.iter().map(get).collect();
            let y: Vec<i128> = row.y.iter().map(get).collect();
            let (ox, oy) = (row.offsets.0 as i128, row.offsets.1 as i128);
            let dot: i128 = x
                .iter()
                .zip(&y)
                .zip(&row.x)
                .filter(|(_, src)| src.is_some())
                .map(|((a, b), _)| (a - ox) * (b - oy))
                .sum();
            acc = if row.first { row.start as i128 } else { acc } + dot;
            out.push(DotValues { x, y, acc });
        }
        out
    });
    segments.into_iter().flatten().collect()
}

/// The error for lane row `i` of `span`, whose quotient `q` left its range (or saturated the table
/// function `saturated`).
fn out_of_range(
    span: &crate::layout::OpSpan,
    i: usize,
    q: i128,
    saturated: Option<TableKind>,
) -> CircuitError {
    let e = span.pre;
    let value = (q as f64 - e.offset as f64) / e.unit();
    let element = i - span.lanes.start;
    match (&span.node, saturated) {
        (Some(node), Some(TableKind::Func { f, y, .. })) => CircuitError::FuncOutOfRange {
            node: node.clone(),
            element,
            func: f.name(),
            value,
            min: y.min_value(),
            max: y.max_value(),
        },
        (Some(node), _) => CircuitError::OutOfRange {
            node: node.clone(),
            element,
            value,
            min: e.min_value(),
            max: e.max_value(),
        },
        (None, _) => {
            CircuitError::Inconsistent(format!("input element {element} escaped its range check"))
        }
    }
}

/// The values of the tile rows `tiles` of one span: its dot products (segments starting at a `first` row),
/// computed in parallel from the lane rows already done.
fn tile_rows(
    plan: &Plan,
    tiles: std::ops::Range<usize>,
    lanes_done: &[LaneValues],
) -> Vec<TileValues> {
    let (bw, kw) = (plan.layout.tile_inputs, plan.layout.tile_outputs);
    let pp = plan.layout.tile_positions.max(1);
    // the settings row (planned after every op) feeds the idle slots of position lanes: its `z` is 0
    let x_value = |src: Option<u32>| match src {
        Some(l) if l != plan.settings_lane => lanes_done[l as usize].z,
        _ => 0,
    };
    let starts: Vec<usize> = tiles.clone().filter(|&i| plan.tile_rows[i].first).collect();
    let segments = map_collect(0..starts.len(), |s| {
        let end = starts.get(s + 1).copied().unwrap_or(tiles.end);
        let mut acc = vec![0i128; pp * kw];
        let mut rows = Vec::with_capacity(end - starts[s]);
        for i in starts[s]..end {
            let row = &plan.tile_rows[i];
            let x: Vec<i128> = row.x.iter().map(|&src| x_value(src)).collect();
            for (pk, a) in acc.iter_mut().enumerate() {
                let (p, k) = (pk / kw, pk % kw);
                let dot: i128 = (0..bw)
                    .map(|t| x[p * bw + t] * row.w[k * bw + t] as i128)
                    .sum();
                *a = if row.first { row.start as i128 } else { *a } + dot;
            }
            rows.push(TileValues {
                x,
                acc: acc.clone(),
            });
        }
        rows
    });
    segments.into_iter().flatten().collect()
}

/// The values of the gather queries `queries` of one span, from the lane rows already done: each index
/// and the value its slice's entry with that key holds. An index with no entry (outside the axis, or not
/// an integer) has no witness.
fn gather_rows(
    plan: &Plan,
    span: &crate::layout::OpSpan,
    lanes: &[LaneValues],
) -> Result<Vec<GatherValues>> {
    let entry_value = |v: GatherValue| match v {
        GatherValue::Const(c) => c as i128,
        GatherValue::Lane(l) => lanes[l as usize].z,
    };
    span.gathers
        .clone()
        .map(|i| {
            let query = &plan.gather_queries[i];
            let index = lanes[query.index as usize].z;
            let entries =
                &plan.gather_entries[query.entries.start as usize..query.entries.end as usize];
            match entries.iter().find(|e| e.key as i128 == index) {
                Some(e) => Ok(GatherValues {
                    index,
                    out: entry_value(e.value),
                }),
                None => Err(match &span.node {
                    Some(node) => CircuitError::Node {
                        node: node.clone(),
                        message: format!(
                            "output element {}: the index {} is not an element of the axis of {} \
                             (indices are integers in -{}..{})",
                            i - span.gathers.start,
                            query.index_encoding.dequantise(index as i64),
                            query.axis_len,
                            query.axis_len,
                            query.axis_len
                        ),
                    },
                    None => CircuitError::Inconsistent("a gather without a node".into()),
                }),
            }
        })
        .collect()
}

/// Computes the witness of one inference.
pub fn generate(qm: &QuantModel, plan: &Plan, inputs: &[Vec<f64>]) -> Result<Witness> {
    let mut w = Witness {
        instances: quantise_inputs(qm, inputs)?,
        settings_digest: plan.settings_digest,
        instance_layout: plan.instance_layout.clone(),
        salts: vec![Fr::zero(); plan.instance_layout.hashed().len()],
        ..Witness::default()
    };
    let bits = qm.lookup_bits;
    let tables: Vec<TableKind> = qm.tables.clone();
    w.lanes.reserve(plan.lane_rows.len());
    w.tiles.reserve(plan.tile_rows.len());
    w.dots.reserve(plan.dot_rows.len());
    for span in &plan.spans {
        w.tiles
            .extend(tile_rows(plan, span.tiles.clone(), &w.lanes));
        w.dots.extend(dot_rows(plan, span.dots.clone(), &w.lanes));
        w.gathers.extend(gather_rows(plan, span, &w.lanes)?);
        // lane rows in parallel
        let (lanes_done, tiles, dots, instances) = (&w.lanes, &w.tiles, &w.dots, &w.instances);
        let gathers = &w.gathers;
        let value = |src: Src| -> i128 {
            match src {
                // the digest and binding instances are field elements the model never uses (their rows
                // are set at synthesis, below the spans)
                Src::Instance(i) if i as usize >= instances.len() => 0,
                Src::Instance(i) => instances[i as usize],
                Src::Lane(l) => lanes_done[l as usize].z,
                Src::TileAcc { row, k } => tiles[row as usize].acc[k as usize],
                Src::DotAcc(row) => dots[row as usize].acc,
                Src::Gathered(q) => gathers[q as usize].out,
                Src::Zero => 0,
            }
        };
        let rows = map_collect(span.lanes.clone(), |i| {
            let row = &plan.lane_rows[i];
            let a = value(row.a);
            let b = row.b.map_or(0, value);
            let t = lane_sum(row, a, b);
            let q = t.div_euclid(1 << bits);
            let r = t.rem_euclid(1 << bits);
            if !(0..(1i128 << bits)).contains(&q) {
                return Err((i, None));
            }
            let kind = tables[(row.act_tag - 1) as usize];
            let (y, saturated) = kind.apply_checked(q as i64, bits);
            if saturated {
                return Err((i, Some(kind)));
            }
            Ok(LaneValues {
                a,
                b,
                q,
                r,
                z: y as i128 + b * row.m_zb as i128,
            })
        });
        if let Some(&Err((i, saturated))) = rows.iter().find(|r| r.is_err()) {
            let row = &plan.lane_rows[i];
            let (a, b) = (value(row.a), row.b.map_or(0, value));
            let q = lane_sum(row, a, b).div_euclid(1 << bits);
            return Err(out_of_range(span, i, q, saturated));
        }
        w.lanes.extend(rows.into_iter().flatten());
    }
    // the settings row and the binding row (last): `q = r = z = 0`; their `a` (the digest, the bind
    // value) is set at synthesis from `settings_digest` and `bind`
    w.lanes.push(LaneValues::default());
    w.lanes.push(LaneValues::default());
    debug_assert_eq!(w.lanes.len(), plan.lane_rows.len());
    w.gather_entries = plan
        .gather_entries
        .iter()
        .map(|e| match e.value {
            GatherValue::Const(c) => c as i128,
            GatherValue::Lane(l) => w.lanes[l as usize].z,
        })
        .collect();
    if let Some(t) = plan.layout.limb_bits() {
        w.limbs = w
            .lanes
            .iter()
            .map(|l| LimbValues::split(l.q, l.r, t))
            .collect();
    }
    let outputs = w.output_values(plan);
    w.instances.extend(outputs);
    Ok(w)
}

#[cfg(test)]
mod tests {
    #[test]
    fn floor_division_matches_the_lane_identity() {
        for t in [-5i128, 0, 7, 1023, 1024, 5000] {
            let (q, r) = (t.div_euclid(1 << 10), t.rem_euclid(1 << 10));
            assert_eq!(q * 1024 + r, t);
            assert!((0..1024).contains(&r));
        }
    }
}
