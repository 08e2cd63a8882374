//! The size guard: a model whose multiply-accumulates, activation elements or convolution patches are beyond
//! what zkinfer would compile in bounded memory and time is refused with a typed error right after lowering,
//! before calibration allocates anything per element.

use crate::error::CompileError;
use zkinfer_circuits::graph::{Graph, Op};

/// The most multiply-accumulates a model may take (2^30, about 1.07 billion: a ResNet-18 for CIFAR-10 takes
/// 0.56 billion). A MAC-tile row holds up to 16 x 32 MACs, times 8 positions of a convolution, so this is
/// far from what a circuit of 2^26 rows holds; the bound is the compile's time (calibration evaluates every
/// MAC in floating point, once per sample).
pub const MAX_MACS: u64 = 1 << 30;
/// The most activation elements, summed over every tensor of the lowered graph (2^26).
pub const MAX_ELEMENTS: u64 = 1 << 26;
/// The most patch entries (input taps of every output position of a convolution, pooling or sum), summed over
/// the graph (2^27): the compile holds each as 8 bytes, so this bounds that memory to 1 GiB.
pub const MAX_PATCH_ENTRIES: u64 = 1 << 27;

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

/// Patch entries of a lowered graph: every position's input taps, over its `Linear` ops.
pub fn patch_entries(graph: &Graph) -> u64 {
    graph
        .nodes
        .iter()
        .map(|node| match &node.op {
            Op::Linear(l) => l.positions.iter().map(|p| p.patch.len() as u64).sum(),
            _ => 0,
        })
        .sum()
}

/// Refuses a graph beyond [`MAX_MACS`], [`MAX_ELEMENTS`] or [`MAX_PATCH_ENTRIES`].
pub fn check(graph: &Graph) -> Result<(), CompileError> {
    let (macs, elements) = measure(graph);
    within(macs, elements, patch_entries(graph))
}

fn within(macs: u64, elements: u64, patches: u64) -> Result<(), CompileError> {
    if macs > MAX_MACS || elements > MAX_ELEMENTS || patches > MAX_PATCH_ENTRIES {
        return Err(CompileError::Graph(format!(
            "the model is too large to prove: {macs} multiply-accumulates, {elements} activation elements \
             and {patches} convolution patch entries (at most {MAX_MACS}, {MAX_ELEMENTS} and \
             {MAX_PATCH_ENTRIES})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resnet_18_passes_and_each_bound_refuses_alone() {
        // ResNet-18 for CIFAR-10: 0.56 G MACs, 0.55 M activation elements, 4.9 M patch entries
        assert!(within(556_000_000, 550_000, 4_900_000).is_ok());
        assert!(within(MAX_MACS, MAX_ELEMENTS, MAX_PATCH_ENTRIES).is_ok());
        for (m, e, p) in [
            (MAX_MACS + 1, 0, 0),
            (0, MAX_ELEMENTS + 1, 0),
            (0, 0, MAX_PATCH_ENTRIES + 1),
        ] {
            let err = within(m, e, p)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("too large to prove"), "{m} {e} {p}: {err}");
        }
    }
}
