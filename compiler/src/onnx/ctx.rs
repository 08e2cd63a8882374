//! The lowering context: values by ONNX name, the IR graph being built, attribute helpers.

use super::fold::Folder;
use super::ops::Registry;
use super::value::{ConstTensor, Sequence, Val};
use crate::error::{CompileError, LowerError};
use std::collections::HashMap;
use tract_onnx::pb;
use tract_onnx::prelude::{DatumType, Tensor, TractError};
use zkinfer_circuits::graph::{ConstAffine, Gather, Graph, Op, TensorId};

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
    /// Sequence values by name (SequenceConstruct, SplitToSequence, ...), apart from tensors.
    sequences: HashMap<String, Sequence>,
    /// The exact tensors of constants whose type is not f32 (integer shapes, booleans, doubles), so
    /// that folding keeps integer arithmetic exact and typed.
    typed: HashMap<String, Tensor>,
    /// Model inputs of an integer type and results of integer ops (their values are integers).
    integer_inputs: Vec<TensorId>,
    /// Tensors with masked elements (a `Where` of a constant condition and `-inf`): `true` where an element
    /// is kept. Only a Softmax may consume one (it leaves the masked elements out).
    pub masked: HashMap<TensorId, Vec<bool>>,
    /// Initializers lowered to committed weight inputs instead of constants (`super::committed`).
    pub committed: Vec<String>,
    registry: Registry,
}

// tract's errors are `anyhow` errors (not `std::error::Error`): keep their whole chain
fn tract_err(e: TractError) -> LowerError {
    LowerError::Tensor {
        message: format!("{e:#}"),
    }
}

/// Converts an ONNX tensor to a constant.
pub fn load_const(t: &pb::TensorProto) -> Result<ConstTensor, LowerError> {
    const_of(&load_tensor(t)?)
}

/// Reads an ONNX tensor with tract.
fn load_tensor(t: &pb::TensorProto) -> Result<Tensor, LowerError> {
    let onnx = tract_onnx::onnx();
    tract_onnx::tensor::load_tensor(&*onnx.provider, t, None).map_err(tract_err)
}

/// A tract tensor as a constant.
pub fn const_of(tensor: &Tensor) -> Result<ConstTensor, LowerError> {
    let tract = tract_err;
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
            sequences: HashMap::new(),
            typed: HashMap::new(),
            integer_inputs: Vec::new(),
            masked: HashMap::new(),
            committed: Vec::new(),
            registry: Registry::with_all_ops(),
        }
    }

    /// Lowers a graph: initializers, inputs, nodes in order, outputs.
    pub fn lower_graph(self, g: &pb::GraphProto) -> Result<Graph, CompileError> {
        Ok(self.lower_graph_with_weights(g)?.0)
    }

    /// [`Lowering::lower_graph`], with the initializers named in `committed` as weight inputs (after the
    /// data inputs); also returns their values, in input order.
    pub fn lower_graph_with_weights(
        mut self,
        g: &pb::GraphProto,
    ) -> Result<(Graph, Vec<Vec<f64>>), CompileError> {
        self.bind_initializers(g)?;
        self.bind_inputs(g)?;
        let weights = self.bind_committed()?;
        let folder = Folder::new(self.opset);
        for (i, proto) in g.node.iter().enumerate() {
            self.lower_node(&folder, i, proto)?;
        }
        self.bind_outputs(g)?;
        self.graph.validate()?;
        Ok((self.graph, weights))
    }

    /// The committed initializers as weight inputs of the graph; their values.
    fn bind_committed(&mut self) -> Result<Vec<Vec<f64>>, CompileError> {
        let mut values = Vec::with_capacity(self.committed.len());
        for name in self.committed.clone() {
            let Some(Val::Const(c)) = self.values.get(&name).cloned() else {
                return Err(CompileError::Graph(format!(
                    "committed weight '{name}' is not an initializer"
                )));
            };
            let id = self.graph.add_weight_input(name.clone(), c.shape.clone());
            self.typed.remove(&name);
            self.values.insert(name, Val::Act(id));
            values.push(c.data);
        }
        Ok(values)
    }

    /// The graph's initializers, as constants.
    fn bind_initializers(&mut self, g: &pb::GraphProto) -> Result<(), CompileError> {
        for init in &g.initializer {
            let c = load_tensor(init)
                .map_err(|e| CompileError::Graph(format!("initializer '{}': {e}", init.name)))?;
            self.bind_tensor(&init.name, c)
                .map_err(|e| CompileError::Graph(format!("initializer '{}': {e}", init.name)))?;
        }
        Ok(())
    }

    /// The graph's inputs that are not initializers, as activations.
    fn bind_inputs(&mut self, g: &pb::GraphProto) -> Result<(), CompileError> {
        for input in &g.input {
            if self.values.contains_key(&input.name) {
                continue;
            }
            let (shape, integer) = input_shape(input)?;
            let id = match is_bool(input) {
                true => self.graph.add_bool_input(input.name.clone(), shape),
                false => self.graph.add_input(input.name.clone(), shape),
            };
            if integer {
                self.integer_inputs.push(id);
            }
            self.values.insert(input.name.clone(), Val::Act(id));
        }
        Ok(())
    }

    /// Node `i`: folded by tract when its inputs are all constants, else lowered by its op's builder.
    fn lower_node(
        &mut self,
        folder: &Folder,
        i: usize,
        proto: &pb::NodeProto,
    ) -> Result<(), CompileError> {
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
        // a node of constants is run by tract (its own semantics and integer types)
        let fold_err = match self.constant_inputs(proto) {
            Some(inputs) => match folder.fold(proto, &inputs) {
                Ok(outs) => {
                    return self.bind_folded(&info, outs);
                }
                // tract refused the node (an op it cannot run alone, or types it will not
                // analyse): the op's own lowering handles constants where it can
                Err(e) => Some(e),
            },
            None => None,
        };
        let Some(builder) = self.registry.get(&proto.op_type) else {
            return Err(match fold_err {
                Some(e) => CompileError::Fold {
                    node: info.name.clone(),
                    op: info.op.clone(),
                    chain: format!("{e:#}"),
                    source: e.into(),
                },
                None => CompileError::UnsupportedOp {
                    node: info.name.clone(),
                    op: info.op.clone(),
                    supported: self.registry.ops().join(", "),
                },
            });
        };
        self.check_masked_consumer(&info)?;
        builder(self, &info)
    }

    /// The graph's outputs (a constant output becomes a constant tensor), named after the ONNX outputs.
    fn bind_outputs(&mut self, g: &pb::GraphProto) -> Result<(), CompileError> {
        for out in &g.output {
            match self.values.get(&out.name) {
                Some(Val::Act(t)) if self.masked.contains_key(t) => {
                    return Err(CompileError::Graph(format!(
                        "output '{}' is a Where with -inf constants (a mask); only a Softmax may use it",
                        out.name
                    )))
                }
                Some(Val::Act(t)) => self.graph.outputs.push(*t),
                Some(Val::Const(c)) => {
                    let c = c.clone();
                    let t = self.constant_output(&out.name, &c)?;
                    self.graph.outputs.push(t)
                }
                None if self.sequences.contains_key(&out.name) => {
                    return Err(CompileError::Graph(format!(
                        "output '{}' is a sequence; only tensor outputs are proved",
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
        Ok(())
    }

    /// A tensor with masked (`-inf`) elements may only feed a Softmax, which leaves them out.
    fn check_masked_consumer(&self, node: &NodeInfo) -> Result<(), CompileError> {
        if node.op == "Softmax" {
            return Ok(());
        }
        for name in &node.proto.input {
            if let Some(Val::Act(t)) = self.values.get(name) {
                if self.masked.contains_key(t) {
                    return Err(node.err(format!(
                        "input '{name}' is a Where with -inf constants (a mask); only a Softmax may \
                         consume it"
                    )));
                }
            }
        }
        Ok(())
    }

    /// A constant output (a sequence's length, a shape) as an activation the proof states: an element of
    /// the first non-empty input times zero, plus the constant.
    fn constant_output(&mut self, name: &str, c: &ConstTensor) -> Result<TensorId, CompileError> {
        let anchor = self
            .graph
            .inputs
            .iter()
            .copied()
            .find(|&t| self.graph.tensors[t].numel() > 0);
        let (Some(anchor), false) = (anchor, c.data.is_empty()) else {
            return Err(CompileError::Graph(format!(
                "output '{name}' is a constant and there is no input element to state it with; nothing \
                 to prove"
            )));
        };
        let spread = Op::Gather(Gather {
            out_shape: c.shape.clone(),
            map: vec![Some(0); c.data.len()],
            fill: 0.0,
        });
        let spread = self.graph.add_node(
            name,
            "Constant",
            spread,
            vec![anchor],
            format!("{name}/spread"),
        )?;
        let value = Op::ConstAffine(ConstAffine {
            mul: vec![0.0],
            add: c.data.iter().map(|v| *v as f32).collect(),
        });
        Ok(self
            .graph
            .add_node(name, "Constant", value, vec![spread], name)?)
    }

    /// The exact tensors of the node's inputs when every input is a constant (`None` for absent
    /// optional inputs), else `None`.
    fn constant_inputs(&self, node: &pb::NodeProto) -> Option<Vec<Option<Tensor>>> {
        node.input
            .iter()
            .map(|name| {
                if name.is_empty() {
                    return Some(None);
                }
                match self.values.get(name)? {
                    Val::Const(c) => Some(Some(self.const_tensor(name, c).ok()?)),
                    Val::Act(_) => None,
                }
            })
            .collect()
    }

    /// The exact tensor of a constant value.
    fn const_tensor(&self, name: &str, c: &ConstTensor) -> Result<Tensor, TractError> {
        if let Some(t) = self.typed.get(name) {
            return Ok(t.clone());
        }
        let data: Vec<f32> = c.data.iter().map(|v| *v as f32).collect();
        Tensor::from_shape(&c.shape, &data)
    }

    /// Binds a value name to a tract tensor (kept exactly when it is not f32).
    fn bind_tensor(&mut self, name: &str, t: Tensor) -> Result<(), LowerError> {
        let c = const_of(&t)?;
        if t.datum_type() != DatumType::F32 {
            self.typed.insert(name.to_string(), t);
        }
        self.values.insert(name.to_string(), Val::Const(c));
        Ok(())
    }

    /// Binds the outputs tract computed for a node of constants.
    fn bind_folded(
        &mut self,
        node: &NodeInfo,
        outs: Vec<Option<Tensor>>,
    ) -> Result<(), CompileError> {
        for (name, t) in node.proto.output.iter().zip(outs) {
            if let Some(t) = t {
                self.bind_tensor(name, t).map_err(|e| node.lower_err(e))?;
            }
        }
        Ok(())
    }

    /// Binds output `i` of a node to an integer (int64) constant, such as a shape.
    pub fn set_ints(
        &mut self,
        node: &NodeInfo,
        i: usize,
        shape: &[usize],
        data: Vec<i64>,
    ) -> Result<(), CompileError> {
        let name = node
            .proto
            .output
            .get(i)
            .ok_or_else(|| node.err(format!("the node has no output {i}")))?
            .clone();
        let t = Tensor::from_shape(shape, &data).map_err(|e| node.lower_err(tract_err(e)))?;
        self.bind_tensor(&name, t).map_err(|e| node.lower_err(e))
    }

    /// Input `i` of a node.
    pub fn input(&self, node: &NodeInfo, i: usize) -> Result<Val, CompileError> {
        let name = node
            .proto
            .input
            .get(i)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| node.err(format!("missing input {i}")))?;
        if let Some(v) = self.values.get(name) {
            return Ok(v.clone());
        }
        Err(node.err(match self.sequences.contains_key(name) {
            true => format!("input '{name}' is a sequence, where the op takes a tensor"),
            false => format!("input '{name}' is not defined before the node"),
        }))
    }

    /// The value bound to the node's first output (after its builder ran).
    pub fn output_value(&self, node: &NodeInfo) -> Result<Val, CompileError> {
        node.proto
            .output
            .first()
            .and_then(|name| self.values.get(name))
            .cloned()
            .ok_or_else(|| node.err("the node's output is not bound"))
    }

    /// Input `i` of a node, a sequence.
    pub fn seq_input(&self, node: &NodeInfo, i: usize) -> Result<Sequence, CompileError> {
        let name = node
            .proto
            .input
            .get(i)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| node.err(format!("missing input {i}")))?;
        if let Some(s) = self.sequences.get(name) {
            return Ok(s.clone());
        }
        Err(node.err(match self.values.contains_key(name) {
            true => format!("input '{name}' is a tensor, where the op takes a sequence"),
            false => format!("input '{name}' is not defined before the node"),
        }))
    }

    /// Binds the node's first output to a sequence.
    pub fn set_seq_output(&mut self, node: &NodeInfo, seq: Sequence) -> Result<(), CompileError> {
        let name = node
            .proto
            .output
            .first()
            .ok_or_else(|| node.err("the node has no output"))?;
        self.sequences.insert(name.clone(), seq);
        Ok(())
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

    /// Whether an activation holds only integers: an integer model input, the output of a rounding
    /// table (Floor, Ceil, Round, Sign), a comparison or logic op, or a reshape, gather, selection, sum,
    /// product, max/min or integer affine map of integers.
    pub fn is_integral(&self, t: TensorId) -> bool {
        use zkinfer_circuits::tables::FuncKind;
        if self.integer_inputs.contains(&t) {
            return true;
        }
        let Some(node) = self.graph.nodes.iter().find(|n| n.output == t) else {
            return false;
        };
        match &node.op {
            Op::Func(f) => matches!(
                f.f,
                FuncKind::Floor | FuncKind::Ceil | FuncKind::Round | FuncKind::Sign
            ),
            Op::Reshape(_) | Op::Gather(_) => node.inputs.iter().all(|i| self.is_integral(*i)),
            // index arithmetic (tree traversals): booleans, and integer ops of integers
            Op::Compare(_) | Op::Logic(_) => true,
            Op::GatherByIndex(g) => match &g.data {
                Some(d) => d.iter().all(|v| v.fract() == 0.0),
                None => self.is_integral(node.inputs[0]),
            },
            Op::Where(w) => {
                let whole = |c: &Option<Vec<f32>>| c.iter().flatten().all(|v| v.fract() == 0.0);
                whole(&w.x) && whole(&w.y) && node.inputs[1..].iter().all(|i| self.is_integral(*i))
            }
            Op::ConstAffine(c) => {
                c.mul.iter().chain(&c.add).all(|v| v.fract() == 0.0)
                    && self.is_integral(node.inputs[0])
            }
            Op::AddTensors(_) => node.inputs.iter().all(|i| self.is_integral(*i)),
            Op::Binary(_) => node.inputs.iter().all(|i| self.is_integral(*i)),
            _ => false,
        }
    }

    /// Records that an activation holds only integers (an integer op's result, such as an integer Div).
    pub fn mark_integral(&mut self, t: TensorId) {
        self.integer_inputs.push(t);
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

/// The static shape of a model input (symbolic dimensions are 1: one sample at a time) and whether its
/// type is an integer type.
fn input_shape(input: &pb::ValueInfoProto) -> Result<(Vec<usize>, bool), CompileError> {
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
    let integer = !numeric[..4].iter().any(|d| *d as i32 == t.elem_type);
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
        .collect::<Result<_, _>>()
        .map(|s| (s, integer))
}
