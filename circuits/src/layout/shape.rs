//! The row structure of a quantised model, measured by a trial plan: the real row planning
//! ([`Plan::build`]) run on the model, its rows counted. The layout is chosen from it
//! ([`super::choose_layout`]), so there is no second, hand-kept row formula to keep in step with the plan.

use super::plan::Plan;
use crate::error::Result;
use crate::quant::{QOp, QuantModel};
use crate::settings::{LaneGate, LaneKind, LayoutParams, TableKind};

/// The structure that decides rows: dot-product groups (their tile rows depend on the tile's shape, which
/// the layout chooses), lane rows, sub-tables and instances.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelShape {
    /// Dot-product groups: (positions, taps, outputs per position).
    pub dense: Vec<(usize, usize, usize)>,
    /// Products of two activations: (dot products, terms of each), on the dot tile.
    pub dots: Vec<(usize, usize)>,
    /// Lane rows of the plan: inputs, every op's lane rows, the settings-digest and binding rows.
    pub lane_rows: usize,
    /// Sub-tables besides the identity.
    pub tables: usize,
    /// Public instances (inputs, outputs, the settings digest, the binding value): one instance-column row
    /// each.
    pub instances: usize,
    /// The lane-gate terms the model uses (products, max/min steps, boolean rows).
    pub gate: LaneGate,
    /// The model can have limb lanes: it has no function sub-tables, only the identity, Relu and the
    /// max/min steps (see [`crate::chips::limb_lane`]).
    pub limbs: bool,
    /// Rows of the gather chip (its table entries or its queries, whichever are more, and a free row);
    /// 0 without gathers by computed indices.
    pub gather_rows: usize,
}

/// The widest tile the layout tries: the trial plan uses it, so that it plans the fewest tile rows (lane
/// rows do not depend on the tile).
const TRIAL_TILE: (usize, usize) = (32, 16);

impl ModelShape {
    /// The row structure of a quantised model, from a trial plan of it.
    pub fn of(qm: &QuantModel) -> Result<Self> {
        let gate = qm.lane_gate();
        let trial = LayoutParams {
            tile_inputs: TRIAL_TILE.0,
            tile_outputs: TRIAL_TILE.1,
            tile_positions: 1,
            lanes: 1,
            lane: LaneKind::Affine {
                value_bits: qm.lookup_bits,
            },
            gate,
            dot_pairs: match qm.ops.iter().any(|o| matches!(o, QOp::Dot(_))) {
                true => TRIAL_TILE.0,
                false => 0,
            },
            gather: qm.ops.iter().any(|o| matches!(o, QOp::Gather(_))),
        };
        // only the row counts matter here: the digest of the final settings is not known yet
        let plan = Plan::build(qm, trial, crate::Fr::zero())?;
        let (mut dense, mut dots) = (Vec::new(), Vec::new());
        for op in &qm.ops {
            match op {
                QOp::Dense(d) => dense.push((d.rows, d.in_features, d.out_features)),
                QOp::Linear(l) => {
                    let mut per = vec![0usize; l.matrices.len()];
                    for p in &l.positions {
                        per[p.matrix as usize] += 1;
                    }
                    for (m, count) in l.matrices.iter().zip(per) {
                        dense.push((count, m.taps, m.outs));
                    }
                }
                QOp::Dot(d) => dots.push((d.dims.outputs(), d.dims.depth)),
                QOp::Input(_) | QOp::Lane(_) | QOp::Alias(_) | QOp::Gather(_) => {}
            }
        }
        let numel = |ts: &[usize]| ts.iter().map(|&t| qm.tensors[t].numel()).sum::<usize>();
        Ok(ModelShape {
            dense,
            dots,
            lane_rows: plan.lane_rows.len(),
            tables: qm.tables.len() - 1,
            instances: 2 + numel(&qm.inputs) + numel(&qm.outputs),
            gate,
            limbs: qm
                .tables
                .iter()
                .all(|t| !matches!(t, TableKind::Func { .. })),
            gather_rows: plan.gather_height(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::choose::tile_rows;
    use super::*;
    use crate::compile::{compile_graph, CompileOptions};
    use crate::graph::{Binary, BinaryKind, Dense, Graph, Linear, Matrix, Op, Position, Relu};

    /// x[1,8] -> Linear (2 positions sharing a 3x4 matrix) -> Relu (fused) -> Dense(6->5) -> Max with
    /// Dense(8->5) of x (re-encoding rows) -> output; a standalone Relu of x as a second output.
    fn graph() -> Graph {
        let mut g = Graph::new("trial");
        let x = g.add_input("x", vec![1, 8]);
        let w = |n: usize, d: f32| -> Vec<f32> {
            (0..n).map(|i| ((i * 7 % 11) as f32 - 5.0) / d).collect()
        };
        let lin = Linear {
            out_shape: vec![1, 6],
            matrices: vec![Matrix {
                outs: 3,
                taps: 4,
                w: w(12, 8.0),
            }],
            positions: (0..2)
                .map(|p| Position {
                    patch: (0..4).map(|t| Some((p * 4 + t) as u32)).collect(),
                    matrix: 0,
                    outs: (0..3).map(|k| (p * 3 + k) as u32).collect(),
                })
                .collect(),
            bias: vec![0.1; 6],
        };
        let dense = |i: usize, o: usize| Dense {
            in_features: i,
            out_features: o,
            weight: w(i * o, 4.0),
            bias: vec![0.05; o],
        };
        let node = |g: &mut Graph, n: &str, op: Op, ins: Vec<usize>| {
            g.add_node(n, n, op, ins, n).expect("node")
        };
        let h = node(&mut g, "conv", Op::Linear(lin), vec![x]);
        let hr = node(&mut g, "relu", Op::Relu(Relu), vec![h]);
        let a = node(&mut g, "fc_a", Op::Dense(dense(6, 5)), vec![hr]);
        let b = node(&mut g, "fc_b", Op::Dense(dense(8, 5)), vec![x]);
        let max = Op::Binary(Binary {
            kind: BinaryKind::Max,
        });
        let y = node(&mut g, "max", max, vec![a, b]);
        let xr = node(&mut g, "relu_x", Op::Relu(Relu), vec![x]);
        g.outputs = vec![y, xr];
        g
    }

    #[test]
    fn the_trial_plan_counts_the_rows_of_every_layout() {
        let samples: Vec<Vec<Vec<f64>>> = (0..4)
            .map(|s| vec![(0..8).map(|i| ((i + s) % 5) as f64 / 2.0 - 1.0).collect()])
            .collect();
        let c = compile_graph(graph(), &samples, &CompileOptions::default()).expect("compiles");
        let shape = ModelShape::of(&c.quant).expect("plans");
        assert_eq!(shape.dense, vec![(2, 4, 3), (1, 6, 5), (1, 8, 5)]);
        assert!(shape.gate.zadd && !shape.gate.boolean);
        for (tb, tk, lanes, tp) in [(1, 1, 1, 1), (2, 1, 4, 2), (4, 4, 2, 4), (16, 8, 8, 1)] {
            let layout = LayoutParams {
                tile_inputs: tb,
                tile_outputs: tk,
                tile_positions: tp,
                lanes,
                ..c.settings.layout
            };
            let plan = Plan::build(&c.quant, layout, crate::Fr::zero()).expect("plans");
            assert_eq!(plan.lane_rows.len(), shape.lane_rows, "tile {tb}x{tk}");
            // the tile's first row is reserved (TILE_FIRST_ROW)
            assert_eq!(plan.tile_rows.len() + 1, tile_rows(&shape, tb, tk, tp));
        }
    }
}
