//! The lowering context: values by ONNX name, the IR graph being built, attribute helpers.

use super::ops::{Registry, SUPPORTED_OPS};
use super::value::{ConstTensor, Val};
use crate::error::{CompileError, LowerError};
use std::collections::HashMap;
use tract_onnx::pb;
use zkinfer_circuits::graph::{Graph, Op, TensorId};

/// One ONNX node being lowered.
#[derive(Debug)]
pub struct NodeInfo<'a> {
    pub name: String,
    pub op: String,
    pub proto: &'a pb::NodeProto,
}

impl NodeInfo<'_> {
    /// An error about this node.
    pub fn err(&self, message: impl Into<String>) -> CompileError {
        CompileError::Node {
            node: self.name.clone(),
            op: self.op.clone(),
            message: message.into(),
        }
    }

    /// A failed shape, axis, window or constant check of this node.
    pub fn lower_err(&self, reason: impl Into<LowerError>) -> CompileError {
        CompileError::Lower {
            node: self.name.clone(),
            op: self.op.clone(),
            reason: reason.into(),
        }
    }

    fn attr(&self, name: &str) -> Option<&pb::AttributeProto> {
        self.proto.attribute.iter().find(|a| a.name == name)
    }

    pub fn attr_int(&self, name: &str, default: i64) -> i64 {
        self.attr(name).map_or(default, |a| a.i)
    }

    pub fn attr_float(&self, name: &str, default: f32) -> f32 {
        self.attr(name).map_or(default, |a| a.f)
    }

    pub fn attr_ints(&self, name: &str) -> Option<Vec<i64>> {
        self.attr(name).map(|a| a.ints.clone())
    }

    pub fn attr_floats(&self, name: &str) -> Option<Vec<f32>> {
        self.attr(name).map(|a| a.floats.clone())
    }

    pub fn attr_tensor(&self, name: &str) -> Option<&pb::TensorProto> {
        self.attr(name).and_then(|a| a.t.as_ref())
    }

    pub fn has_attr(&self, name: &str) -> bool {
        self.attr(name).is_some()
    }
}

/// Lowers one ONNX graph.
#[derive(Debug)]
pub struct Lowering {
    pub graph: Graph,
    /// The default-domain opset the model imports (attribute and input conventions change with it).
    pub opset: i64,
    values: HashMap<String, Val>,
    registry: Registry,
}

/// Converts an ONNX tensor to a constant.
pub fn load_const(t: &pb::TensorProto) -> Result<ConstTensor, LowerError> {
    let onnx = tract_onnx::onnx();
    // tract's errors are `anyhow` errors (not `std::error::Error`): keep their message
    let tract = |e: tract_onnx::prelude::TractError| LowerError::Tensor {
        message: e.to_string(),
    };
    let tensor = tract_onnx::tensor::load_tensor(&*onnx.provider, t, None).map_err(tract)?;
    let as_f64 = tensor.cast_to::<f64>().map_err(tract)?;
    let data = as_f64
        .to_plain_array_view::<f64>()
        .map_err(tract)?
        .iter()
        .copied()
        .collect();
    Ok(ConstTensor {
        shape: tensor.shape().to_vec(),
        data,
    })
}

impl Lowering {
    pub fn new(name: String) -> Self {
        Self {
            graph: Graph::new(name),
            opset: 13,
            values: HashMap::new(),
            registry: Registry::with_all_ops(),
        }
    }

    /// Lowers a graph: initializers, inputs, nodes in order, outputs.
    pub fn lower_graph(mut self, g: &pb::GraphProto) -> Result<Graph, CompileError> {
        for init in &g.initializer {
            let c = load_const(init)
                .map_err(|e| CompileError::Graph(format!("initializer '{}': {e}", init.name)))?;
            self.values.insert(init.name.clone(), Val::Const(c));
        }
        for input in &g.input {
            if self.values.contains_key(&input.name) {
                continue;
            }
            let shape = input_shape(input)?;
            let id = match is_bool(input) {
                true => self.graph.add_bool_input(input.name.clone(), shape),
                false => self.graph.add_input(input.name.clone(), shape),
            };
            self.values.insert(input.name.clone(), Val::Act(id));
        }
        for (i, proto) in g.node.iter().enumerate() {
            let name = if proto.name.is_empty() {
                format!("{}_{i}", proto.op_type)
            } else {
                proto.name.clone()
            };
            let info = NodeInfo {
                name,
                op: proto.op_type.clone(),
                proto,
            };
            if !["", "ai.onnx", "ai.onnx.ml"].contains(&proto.domain.as_str()) {
                return Err(info.err(format!(
                    "ops of domain '{}' are not supported",
                    proto.domain
                )));
            }
            let builder =
                self.registry
                    .get(&proto.op_type)
                    .ok_or_else(|| CompileError::UnsupportedOp {
                        node: info.name.clone(),
                        op: info.op.clone(),
                        supported: SUPPORTED_OPS.join(", "),
                    })?;
            builder(&mut self, &info)?;
        }
        for out in &g.output {
            match self.values.get(&out.name) {
                Some(Val::Act(t)) => self.graph.outputs.push(*t),
                Some(Val::Const(_)) => {
                    return Err(CompileError::Graph(format!(
                        "output '{}' is a constant; nothing to prove",
                        out.name
                    )))
                }
                None => {
                    return Err(CompileError::Graph(format!(
                        "output '{}' is never computed",
                        out.name
                    )))
                }
            }
        }
        // outputs are named after the ONNX outputs
        for (out, &t) in g.output.iter().zip(&self.graph.outputs) {
            self.graph.tensors[t].name = out.name.clone();
        }
        self.graph.validate()?;
        Ok(self.graph)
    }

    /// Input `i` of a node.
    pub fn input(&self, node: &NodeInfo, i: usize) -> Result<Val, CompileError> {
        let name = node
            .proto
            .input
            .get(i)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| node.err(format!("missing input {i}")))?;
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| node.err(format!("input '{name}' is not defined before the node")))
    }

    /// Input `i` if present.
    pub fn opt_input(&self, node: &NodeInfo, i: usize) -> Result<Option<Val>, CompileError> {
        match node.proto.input.get(i) {
            Some(n) if !n.is_empty() => self.input(node, i).map(Some),
            _ => Ok(None),
        }
    }

    /// A constant input (shape, axes, weights).
    pub fn const_input(
        &self,
        node: &NodeInfo,
        i: usize,
        what: &str,
    ) -> Result<ConstTensor, CompileError> {
        match self.input(node, i)? {
            Val::Const(c) => Ok(c),
            Val::Act(_) => Err(node.err(format!(
                "{what} (input {i}) must be a constant, it is computed from the model's input"
            ))),
        }
    }

    /// Shape of an activation.
    pub fn shape(&self, t: TensorId) -> Vec<usize> {
        self.graph.tensors[t].shape.clone()
    }

    /// Binds a node output name to a value.
    pub fn set_output(&mut self, node: &NodeInfo, v: Val) -> Result<(), CompileError> {
        let name = node
            .proto
            .output
            .first()
            .ok_or_else(|| node.err("the node has no output"))?;
        self.values.insert(name.clone(), v);
        Ok(())
    }

    /// Binds output `i` of a node (Split and other multi-output ops).
    pub fn set_output_at(&mut self, node: &NodeInfo, i: usize, v: Val) -> Result<(), CompileError> {
        let name = node
            .proto
            .output
            .get(i)
            .ok_or_else(|| node.err(format!("the node has no output {i}")))?;
        if !name.is_empty() {
            self.values.insert(name.clone(), v);
        }
        Ok(())
    }

    /// Binds the node's first output to an existing tensor (the result of several IR nodes).
    pub fn alias_output(&mut self, node: &NodeInfo, t: TensorId) -> Result<(), CompileError> {
        self.set_output(node, Val::Act(t))
    }

    /// Number of inputs of the node (trailing empty names excluded).
    pub fn input_count(&self, node: &NodeInfo) -> usize {
        let mut n = node.proto.input.len();
        while n > 0 && node.proto.input[n - 1].is_empty() {
            n -= 1;
        }
        n
    }

    /// Adds an intermediate IR node of a lowered ONNX node (its tensor is named `node/what`).
    pub fn add(
        &mut self,
        node: &NodeInfo,
        what: &str,
        op: Op,
        inputs: Vec<TensorId>,
    ) -> Result<TensorId, CompileError> {
        let name = format!("{}/{what}", node.name);
        Ok(self
            .graph
            .add_node(node.name.clone(), node.op.clone(), op, inputs, name)?)
    }

    /// Integers from input `i` (a constant) when present, else from attribute `attr` (older opsets).
    pub fn ints_input_or_attr(
        &self,
        node: &NodeInfo,
        i: usize,
        attr: &str,
    ) -> Result<Option<Vec<i64>>, CompileError> {
        if let Some(v) = self.opt_input(node, i)? {
            return match v {
                Val::Const(c) => Ok(Some(c.as_ints())),
                Val::Act(_) => Err(node.err(format!(
                    "{attr} (input {i}) must be a constant, it is computed from the model's input"
                ))),
            };
        }
        Ok(node.attr_ints(attr))
    }

    /// Adds an IR node whose output is the ONNX node's first output.
    pub fn emit(
        &mut self,
        node: &NodeInfo,
        op_type: &str,
        op: Op,
        inputs: Vec<TensorId>,
    ) -> Result<TensorId, CompileError> {
        let out_name = node
            .proto
            .output
            .first()
            .cloned()
            .unwrap_or_else(|| node.name.clone());
        let t = self
            .graph
            .add_node(node.name.clone(), op_type, op, inputs, out_name)?;
        self.set_output(node, Val::Act(t))?;
        Ok(t)
    }
}

/// Whether a graph input holds booleans (the circuit checks each is 0 or 1).
fn is_bool(input: &pb::ValueInfoProto) -> bool {
    use pb::type_proto::Value as Ty;
    matches!(input.r#type.as_ref().and_then(|t| t.value.as_ref()),
        Some(Ty::TensorType(t)) if t.elem_type == pb::tensor_proto::DataType::Bool as i32)
}

fn input_shape(input: &pb::ValueInfoProto) -> Result<Vec<usize>, CompileError> {
    use pb::tensor_shape_proto::dimension::Value as Dim;
    use pb::type_proto::Value as Ty;
    let err = |m: &str| CompileError::Graph(format!("input '{}': {m}", input.name));
    let Some(Ty::TensorType(t)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(err("is not a tensor"));
    };
    use pb::tensor_proto::DataType as D;
    let numeric = [
        D::Float,
        D::Double,
        D::Float16,
        D::Bfloat16,
        D::Int8,
        D::Int16,
        D::Int32,
        D::Int64,
        D::Uint8,
        D::Uint16,
        D::Uint32,
        D::Uint64,
        D::Bool,
    ];
    if !numeric.iter().any(|d| *d as i32 == t.elem_type) {
        return Err(err(
            "only numeric (float, integer or boolean) inputs are supported",
        ));
    }
    let shape = t.shape.as_ref().ok_or_else(|| err("has no static shape"))?;
    shape
        .dim
        .iter()
        .map(|d| match &d.value {
            Some(Dim::DimValue(v)) if *v > 0 => Ok(*v as usize),
            // a symbolic (batch) dimension proves one sample at a time
            Some(Dim::DimParam(_)) | None => Ok(1),
            Some(Dim::DimValue(v)) => Err(err(&format!("dimension {v} is not positive"))),
        })
        .collect()
}
