//! The graph IR: tensors with static shapes and nodes over a small set of ops, with float weights.
//! The ONNX front end lowers models into it; [`crate::quant`] turns it into fixed point.
//! It holds no ONNX or tract types, so the circuit layer never links the front end. Each op lives in its own
//! file and implements the `IrOp` trait (`ir_op.rs`): arity, shape, float evaluation and quantisation.

mod add;
mod binary;
mod broadcast;
mod compare;
mod const_affine;
mod dense;
mod error;
mod func;
mod fuse;
mod gather;
mod gather_by_index;
mod ir_op;
mod linear;
mod logic;
mod matmul_act;
mod op;
mod relu;
mod reshape;
mod select;

pub use add::AddTensors;
pub use binary::{Binary, BinaryKind};
pub use broadcast::{broadcast_index_map, broadcast_shapes};
pub use compare::{Compare, CompareKind};
pub use const_affine::ConstAffine;
pub use dense::Dense;
pub use error::ShapeError;
pub use func::Func;
pub use gather::Gather;
pub use gather_by_index::GatherByIndex;
pub(crate) use ir_op::Activation;
pub use linear::{Linear, Matrix, Position};
pub use logic::{Logic, LogicKind};
pub use matmul_act::{MatMulAct, MatMulDims};
pub use op::Op;
pub use relu::Relu;
pub use reshape::Reshape;
pub use select::Where;

use crate::error::{CircuitError, NodeRef, Result};
use serde::{Deserialize, Serialize};

/// Index of a tensor in [`Graph::tensors`].
pub type TensorId = usize;

/// A tensor's name and static shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorInfo {
    /// Tensor name (ONNX value name, or one derived from its node).
    pub name: String,
    /// Static shape.
    pub shape: Vec<usize>,
}

impl TensorInfo {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// One operation producing one tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Node name.
    pub name: String,
    /// The source op type(s), for messages: `Gemm`, or `MatMul+Add` after fusion.
    pub op_type: String,
    /// The operation.
    pub op: Op,
    /// Activation inputs.
    pub inputs: Vec<TensorId>,
    /// The tensor it produces.
    pub output: TensorId,
}

impl Node {
    /// This node as it is named in messages.
    pub fn node_ref(&self) -> NodeRef {
        NodeRef {
            name: self.name.clone(),
            op_type: self.op_type.clone(),
        }
    }
}

/// A model: tensors, nodes in topological order, graph inputs and outputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// Model name.
    pub name: String,
    /// Every tensor; a [`TensorId`] indexes this.
    pub tensors: Vec<TensorInfo>,
    /// Nodes in topological order.
    pub nodes: Vec<Node>,
    /// Graph inputs, in order.
    pub inputs: Vec<TensorId>,
    /// Graph outputs, in order.
    pub outputs: Vec<TensorId>,
    /// Graph inputs that hold booleans (0 or 1; the circuit's boolean gate checks them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boolean_inputs: Vec<TensorId>,
    /// Graph inputs that are committed weight tensors ([`crate::visibility::TensorRole::Weights`]): the last
    /// inputs, after every data input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weight_inputs: Vec<TensorId>,
}

impl Graph {
    /// An empty graph.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Adds a tensor and returns its id.
    pub fn add_tensor(&mut self, name: impl Into<String>, shape: Vec<usize>) -> TensorId {
        self.tensors.push(TensorInfo {
            name: name.into(),
            shape,
        });
        self.tensors.len() - 1
    }

    /// Adds a boolean graph input (values 0 or 1) of the given shape.
    pub fn add_bool_input(&mut self, name: impl Into<String>, shape: Vec<usize>) -> TensorId {
        let id = self.add_input(name, shape);
        self.boolean_inputs.push(id);
        id
    }

    /// Adds a committed weight tensor as a graph input (after every data input).
    pub fn add_weight_input(&mut self, name: impl Into<String>, shape: Vec<usize>) -> TensorId {
        let id = self.add_input(name, shape);
        self.weight_inputs.push(id);
        id
    }

    /// Adds a graph input of the given shape.
    pub fn add_input(&mut self, name: impl Into<String>, shape: Vec<usize>) -> TensorId {
        let id = self.add_tensor(name, shape);
        self.inputs.push(id);
        id
    }

    /// Adds a node; its output tensor is created with the shape the op infers, and checked.
    pub fn add_node(
        &mut self,
        name: impl Into<String>,
        op_type: impl Into<String>,
        op: Op,
        inputs: Vec<TensorId>,
        output_name: impl Into<String>,
    ) -> Result<TensorId> {
        let node_ref = NodeRef {
            name: name.into(),
            op_type: op_type.into(),
        };
        let in_shapes: Vec<&[usize]> = inputs
            .iter()
            .map(|&t| self.tensors.get(t).map(|i| i.shape.as_slice()))
            .collect::<Option<_>>()
            .ok_or_else(|| CircuitError::Node {
                node: node_ref.clone(),
                message: "unknown input tensor".into(),
            })?;
        let shape = op
            .output_shape(&in_shapes)
            .map_err(|reason| CircuitError::Shape {
                node: node_ref.clone(),
                reason,
            })?;
        let output = self.add_tensor(output_name, shape);
        self.nodes.push(Node {
            name: node_ref.name,
            op_type: node_ref.op_type,
            op,
            inputs,
            output,
        });
        Ok(output)
    }

    /// The node producing a tensor, if any.
    pub fn producer(&self, t: TensorId) -> Option<&Node> {
        self.nodes.iter().find(|n| n.output == t)
    }

    /// How many node inputs and graph outputs use a tensor.
    pub fn use_count(&self, t: TensorId) -> usize {
        self.nodes
            .iter()
            .flat_map(|n| n.inputs.iter())
            .filter(|&&i| i == t)
            .count()
            + self.outputs.iter().filter(|&&o| o == t).count()
    }

    /// Checks ids, topological order and shapes.
    pub fn validate(&self) -> Result<()> {
        let mut defined = vec![false; self.tensors.len()];
        for &i in &self.inputs {
            *defined
                .get_mut(i)
                .ok_or_else(|| CircuitError::Graph(format!("input tensor {i} does not exist")))? =
                true;
        }
        for node in &self.nodes {
            let err = |message: String| CircuitError::Node {
                node: node.node_ref(),
                message,
            };
            let mut shapes = Vec::with_capacity(node.inputs.len());
            for &i in &node.inputs {
                if !defined.get(i).copied().unwrap_or(false) {
                    return Err(err(format!(
                        "input tensor {i} is used before it is defined"
                    )));
                }
                shapes.push(self.tensors[i].shape.as_slice());
            }
            let shape = node
                .op
                .output_shape(&shapes)
                .map_err(|reason| CircuitError::Shape {
                    node: node.node_ref(),
                    reason,
                })?;
            let out = self
                .tensors
                .get(node.output)
                .ok_or_else(|| err("output tensor does not exist".into()))?;
            if out.shape != shape {
                return Err(err(format!(
                    "output shape {:?} differs from the inferred {:?}",
                    out.shape, shape
                )));
            }
            if std::mem::replace(&mut defined[node.output], true) {
                return Err(err(format!("tensor '{}' is defined twice", out.name)));
            }
        }
        for &o in &self.outputs {
            if !defined.get(o).copied().unwrap_or(false) {
                return Err(CircuitError::Graph(format!(
                    "output tensor {o} is never computed"
                )));
            }
        }
        let data = self.inputs.len() - self.weight_inputs.len().min(self.inputs.len());
        if self
            .weight_inputs
            .iter()
            .any(|w| !self.inputs[data..].contains(w))
        {
            return Err(CircuitError::Graph(
                "committed weight tensors must be the last graph inputs".into(),
            ));
        }
        if self.inputs.is_empty() || self.outputs.is_empty() {
            return Err(CircuitError::Graph(
                "the model needs at least one input and one output".into(),
            ));
        }
        Ok(())
    }

    /// Float inference in f64: the values of every tensor (index = tensor id).
    pub fn eval_float(&self, inputs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
        if inputs.len() != self.inputs.len() {
            return Err(CircuitError::InputCount {
                expected: self.inputs.len(),
                got: inputs.len(),
            });
        }
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); self.tensors.len()];
        for (idx, (&t, v)) in self.inputs.iter().zip(inputs).enumerate() {
            let info = &self.tensors[t];
            if v.len() != info.numel() {
                return Err(CircuitError::InputShape {
                    index: idx,
                    name: info.name.clone(),
                    shape: info.shape.clone(),
                    expected: info.numel(),
                    got: v.len(),
                });
            }
            values[t] = v.clone();
        }
        for node in &self.nodes {
            let ins: Vec<&[f64]> = node.inputs.iter().map(|&i| values[i].as_slice()).collect();
            let shapes: Vec<&[usize]> = node
                .inputs
                .iter()
                .map(|&i| self.tensors[i].shape.as_slice())
                .collect();
            values[node.output] = node.op.eval_float(&ins, &shapes);
        }
        Ok(values)
    }

    /// Rewrites the graph for the circuit: folds per-feature scale and bias into the preceding dense layer.
    pub fn fuse(&mut self) {
        fuse::fold_affine_into_dense(self);
    }
}
