//! Calibration repair after a compile: ranges that the calibration samples escape once rounded.

use crate::circuit::CompiledModel;
use crate::error::{CircuitError, NodeRef};
use crate::graph::{Activation, Graph};
use crate::quant::{fused_relus, Calibration, QuantModel};
use crate::settings::Settings;
use crate::witness;

/// Runs the calibration samples through the compiled model; where one escapes a range (a rescale's
/// range check or a table's output range), widens that tensor's calibrated range to hold the escaped
/// value plus a few steps of its encoding. Returns whether it widened anything.
pub(super) fn widen_escaped(
    graph: &Graph,
    quant: &QuantModel,
    settings: &Settings,
    samples: &[Vec<Vec<f64>>],
    calibration: &mut Calibration,
) -> bool {
    /// Steps of the escaped encoding added beyond the escaped value.
    const STEPS: f64 = 4.0;
    let Ok(model) = CompiledModel::new(quant.clone(), settings) else {
        return false;
    };
    let fused = fused_relus(graph);
    let node_of = |r: &NodeRef| graph.nodes.iter().position(|n| n.node_ref() == *r);
    let levels = 2f64.powi(quant.lookup_bits as i32) - 1.0;
    let mut widened = false;
    for sample in samples {
        let (tensor, value, min, max) = match witness::generate(&model.quant, &model.plan, sample) {
            // a rescale's range check: the node's pre-activation value (its input, for a standalone
            // activation; its output, for anything else, a fused activation's producer included)
            Err(CircuitError::OutOfRange {
                node,
                value,
                min,
                max,
                ..
            }) => {
                let Some(i) = node_of(&node) else { continue };
                let n = &graph.nodes[i];
                let t = match n.op.as_dyn().activation() {
                    Some(_) => n.inputs[0],
                    None => n.output,
                };
                (t, value, min, max)
            }
            // a table's output range: the function's value, on the activation's output tensor (the
            // node's own, or that of the activation fused into it)
            Err(CircuitError::FuncOutOfRange {
                node,
                value,
                min,
                max,
                ..
            }) => {
                let Some(i) = node_of(&node) else { continue };
                let n = &graph.nodes[i];
                let act = match n.op.as_dyn().activation() {
                    Some(_) => Some(n),
                    None => graph
                        .nodes
                        .iter()
                        .zip(&fused)
                        .find(|(a, &f)| f && a.inputs[0] == n.output)
                        .map(|(a, _)| a),
                };
                let Some(act) = act else { continue };
                let Some(Activation::Func(f)) = act.op.as_dyn().activation() else {
                    continue;
                };
                let y = f.eval(value);
                if !y.is_finite() {
                    continue;
                }
                (act.output, y, min, max)
            }
            _ => continue,
        };
        let step = (max - min) / levels;
        let want = value.abs() + STEPS * step;
        let m = &mut calibration.max_abs[tensor];
        if want.is_finite() && want > *m {
            *m = want;
            widened = true;
        }
    }
    widened
}
