//! The size guard: a model whose multiply-accumulates or activation elements are beyond what a circuit of
//! zkinfer's largest size could hold (and whose compile would need tens of gigabytes) is refused with a
//! typed error right after lowering, before calibration allocates anything per element.

use crate::error::CompileError;
use zkinfer_circuits::graph::{Graph, Op};

/// The most multiply-accumulates a model may take (2^26, about 67 million: hundreds of times the models
/// zkinfer proves in seconds).
pub const MAX_MACS: u64 = 1 << 26;
/// The most activation elements, summed over every tensor of the lowered graph (2^26).
pub const MAX_ELEMENTS: u64 = 1 << 26;

/// Multiply-accumulates and activation elements of a lowered graph.
pub fn measure(graph: &Graph) -> (u64, u64) {
    let elements = graph.tensors.iter().map(|t| t.numel() as u64).sum();
    let mut macs = 0u64;
    for node in &graph.nodes {
        let shape = |i: usize| {
            node.inputs
                .get(i)
                .map(|&t| graph.tensors[t].shape.clone())
                .unwrap_or_default()
        };
        macs += match &node.op {
            Op::Dense(d) => {
                let n: usize = shape(0).iter().product();
                (n / d.in_features.max(1)) as u64 * (d.in_features * d.out_features) as u64
            }
            Op::Linear(l) => l
                .positions
                .iter()
                .map(|p| {
                    let m = l.matrices.get(p.matrix as usize);
                    m.map_or(0, |m| (m.outs * m.taps) as u64)
                })
                .sum(),
            Op::MatMulAct(m) => m
                .dims(&shape(0), &shape(1))
                .map_or(0, |d| (d.outputs() * d.depth) as u64),
            _ => 0,
        };
    }
    (macs, elements)
}

/// Refuses a graph beyond [`MAX_MACS`] or [`MAX_ELEMENTS`].
pub fn check(graph: &Graph) -> Result<(), CompileError> {
    let (macs, elements) = measure(graph);
    if macs > MAX_MACS || elements > MAX_ELEMENTS {
        return Err(CompileError::Graph(format!(
            "the model is too large to prove: {macs} multiply-accumulates and {elements} activation \
             elements (at most {MAX_MACS} and {MAX_ELEMENTS}: a circuit of 2^26 rows)"
        )));
    }
    Ok(())
}
