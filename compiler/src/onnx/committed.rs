//! Committed weights ([`WeightsMode::Committed`]): which initializers become weight inputs of the circuit
//! instead of constants. An f32 initializer is committed when every use of it is the weight of a product
//! with an activation: `B` of a `MatMul` (2-D) or `Gemm`, `W` of a `Conv`, or a bias: `C` of a `Gemm`
//! whose `B` is committed, `B` of a `Conv` whose `W` is, or the constant of an `Add` to the output of a `MatMul` whose `B` is committed. Every
//! other constant (normalisation parameters, shapes, a weight used by another op too) stays fixed in the
//! circuit, so it is part of the architecture the verifying key pins.

use std::collections::{HashMap, HashSet};
use tract_onnx::pb;
use zkinfer_circuits::visibility::WeightsMode;

/// The names of the initializers to commit, in initializer order.
pub fn committed_initializers(g: &pb::GraphProto, mode: WeightsMode) -> Vec<String> {
    if mode == WeightsMode::Fixed {
        return Vec::new();
    }
    let float = pb::tensor_proto::DataType::Float as i32;
    let rank: HashMap<&str, usize> = g
        .initializer
        .iter()
        .filter(|t| t.data_type == float)
        .map(|t| (t.name.as_str(), t.dims.len()))
        .collect();
    let is_const = |name: &str| g.initializer.iter().any(|t| t.name == name);
    let mut ok: HashSet<&str> = HashSet::new();
    let mut refused: HashSet<&str> = HashSet::new();
    // B first: a Gemm's C is committed only with its B
    let mut gemm_c: Vec<(&str, &str)> = Vec::new();
    // the B of the MatMul producing each value
    let matmul_b: HashMap<&str, &str> = g
        .node
        .iter()
        .filter(|n| n.op_type == "MatMul" && n.input.len() == 2)
        .filter_map(|n| Some((n.output.first()?.as_str(), n.input[1].as_str())))
        .collect();
    for node in &g.node {
        for (i, name) in node.input.iter().enumerate() {
            let Some(&r) = rank.get(name.as_str()) else {
                continue;
            };
            let activation_a = node.input.first().is_some_and(|a| !is_const(a));
            let weight = match (node.op_type.as_str(), i) {
                ("MatMul", 1) => activation_a && r == 2,
                ("Gemm", 1) => activation_a && r == 2,
                ("Gemm", 2) => {
                    if let Some(b) = node.input.get(1) {
                        gemm_c.push((name.as_str(), b.as_str()));
                    }
                    activation_a
                }
                ("Conv", 1) => activation_a && r >= 3,
                ("Conv", 2) => {
                    if let Some(w) = node.input.get(1) {
                        gemm_c.push((name.as_str(), w.as_str()));
                    }
                    activation_a
                }
                // a bias added to a MatMul's product
                ("Add", 0 | 1) if node.input.len() == 2 => {
                    match matmul_b.get(node.input[1 - i].as_str()) {
                        Some(b) => {
                            gemm_c.push((name.as_str(), b));
                            true
                        }
                        None => false,
                    }
                }
                _ => false,
            };
            match weight {
                true => ok.insert(name.as_str()),
                false => refused.insert(name.as_str()),
            };
        }
    }
    // a name that is also a graph output or a subgraph's capture stays fixed
    for out in &g.output {
        refused.insert(out.name.as_str());
    }
    let orphan_c: Vec<&str> = gemm_c
        .into_iter()
        .filter(|(_, b)| !ok.contains(b) || refused.contains(b))
        .map(|(c, _)| c)
        .collect();
    refused.extend(orphan_c);
    g.initializer
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| ok.contains(n) && !refused.contains(n))
        .map(str::to_string)
        .collect()
}
