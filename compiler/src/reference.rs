//! The float reference the proved outputs are compared with: tract's float inference of the original ONNX
//! model, or, where tract cannot analyse or run the model (an integer `Div`, `BitShift`, a shape tract
//! fails to infer, a declutter pass that fails), the front end's own IR evaluated in floats. The reference
//! never vetoes a compile: when tract fails, [`FloatReference::tract_unavailable`] says why, and the
//! accuracy report then measures the quantisation error against the lowered graph alone (not an
//! independent cross-check of the lowering).

use crate::error::CompileError;
use std::path::Path;
use tract_onnx::pb;
use tract_onnx::prelude::*;
use zkinfer_circuits::graph::Graph;

/// A runnable float model.
#[derive(Debug)]
pub struct FloatReference {
    engine: Engine,
    shapes: Vec<Vec<usize>>,
}

#[derive(Debug)]
enum Engine {
    /// tract's optimised plan, with each input's element type.
    Tract {
        plan: std::sync::Arc<TypedRunnableModel>,
        types: Vec<DatumType>,
    },
    /// The lowered IR in floats, and why tract could not serve.
    Ir { graph: Box<Graph>, tract: String },
}

impl FloatReference {
    /// Loads `path` with the given input shapes: tract's plan, or where tract fails, the lowered IR
    /// (an error only when neither can be built).
    pub fn load(path: &Path, shapes: &[Vec<usize>]) -> Result<Self, CompileError> {
        // tract panics on some models it cannot analyse: that too is "tract cannot serve"
        let tract =
            std::panic::catch_unwind(|| Self::load_tract(path, shapes)).unwrap_or_else(|_| {
                Err(CompileError::Reference(format!(
                    "{}: tract panicked while analysing the model",
                    path.display()
                )))
            });
        match tract {
            Ok(r) => Ok(r),
            Err(tract) => {
                let graph = crate::onnx::lower(path)?;
                Ok(Self::from_graph(graph, shapes, tract.to_string()))
            }
        }
    }

    /// tract's float model alone (an error where tract cannot analyse or run it).
    pub fn load_tract(path: &Path, shapes: &[Vec<usize>]) -> Result<Self, CompileError> {
        let err = |e: TractError| CompileError::Reference(format!("{}: {e:#}", path.display()));
        let types = input_types(path, shapes.len())?;
        let mut model = tract_onnx::onnx().model_for_path(path).map_err(err)?;
        for (i, (s, t)) in shapes.iter().zip(&types).enumerate() {
            model = model
                .with_input_fact(i, InferenceFact::dt_shape(*t, s.as_slice()))
                .map_err(err)?;
        }
        let plan = model
            .into_optimized()
            .map_err(err)?
            .into_runnable()
            .map_err(err)?;
        Ok(Self {
            engine: Engine::Tract { plan, types },
            shapes: shapes.to_vec(),
        })
    }

    /// The lowered graph evaluated in floats, with the reason tract was not used.
    pub fn from_graph(graph: Graph, shapes: &[Vec<usize>], tract: String) -> Self {
        Self {
            engine: Engine::Ir {
                graph: Box::new(graph),
                tract,
            },
            shapes: shapes.to_vec(),
        }
    }

    /// Why tract's reference is unavailable (the IR is evaluated instead), or `None` when tract runs it.
    pub fn tract_unavailable(&self) -> Option<&str> {
        match &self.engine {
            Engine::Tract { .. } => None,
            Engine::Ir { tract, .. } => Some(tract),
        }
    }

    /// Runs one sample; returns each output flattened.
    pub fn run(&self, inputs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, CompileError> {
        match &self.engine {
            Engine::Tract { plan, types } => self.run_tract(plan, types, inputs),
            Engine::Ir { graph, .. } => {
                let values = graph.eval_float(inputs)?;
                Ok(graph.outputs.iter().map(|&t| values[t].clone()).collect())
            }
        }
    }

    fn run_tract(
        &self,
        plan: &std::sync::Arc<TypedRunnableModel>,
        types: &[DatumType],
        inputs: &[Vec<f64>],
    ) -> Result<Vec<Vec<f64>>, CompileError> {
        let err = |e: TractError| CompileError::Reference(format!("{e:#}"));
        let tensors: TVec<TValue> = inputs
            .iter()
            .zip(&self.shapes)
            .zip(types)
            .map(|((v, s), dt)| {
                let t = match dt {
                    // booleans are 0 or 1 in the input file; anything non-zero is true
                    DatumType::Bool => {
                        let data: Vec<bool> = v.iter().map(|x| *x != 0.0).collect();
                        Tensor::from_shape(s, &data)?
                    }
                    dt if dt.is_integer() => {
                        let data: Vec<i64> = v.iter().map(|x| x.round() as i64).collect();
                        Tensor::from_shape(s, &data)?.cast_to_dt(*dt)?.into_owned()
                    }
                    dt => Tensor::from_shape(s, v)?.cast_to_dt(*dt)?.into_owned(),
                };
                Ok(t.into())
            })
            .collect::<TractResult<_>>()
            .map_err(err)?;
        // tract asserts on some inputs it does not accept (GatherND by an index outside its axis): that
        // too is an error about this input, not a crash
        let outs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| plan.run(tensors)))
            .map_err(|_| {
                CompileError::Reference(
                    "tract panicked while running the model on this input (an input it does not \
                     accept, e.g. an index outside its axis)"
                        .into(),
                )
            })?
            .map_err(err)?;
        outs.iter()
            .map(|t| {
                let t = t.cast_to::<f64>().map_err(err)?;
                Ok(t.to_plain_array_view::<f64>()
                    .map_err(err)?
                    .iter()
                    .copied()
                    .collect())
            })
            .collect()
    }
}

/// The element type of each graph input the model declares (initializers excluded): booleans and integers
/// are fed as such, floats of every width as f32.
fn input_types(path: &Path, count: usize) -> Result<Vec<DatumType>, CompileError> {
    use pb::tensor_proto::DataType as D;
    let proto = crate::onnx::read_proto(path)?;
    let graph = proto.graph.unwrap_or_default();
    let inits: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|i| i.name.as_str()).collect();
    let types: Vec<DatumType> = graph
        .input
        .iter()
        .filter(|i| !inits.contains(i.name.as_str()))
        .map(|i| {
            use pb::type_proto::Value as Ty;
            let elem = match i.r#type.as_ref().and_then(|t| t.value.as_ref()) {
                Some(Ty::TensorType(t)) => t.elem_type,
                _ => D::Float as i32,
            };
            match D::try_from(elem).unwrap_or(D::Float) {
                D::Bool => DatumType::Bool,
                D::Int8 => DatumType::I8,
                D::Int16 => DatumType::I16,
                D::Int32 => DatumType::I32,
                D::Int64 => DatumType::I64,
                D::Uint8 => DatumType::U8,
                D::Uint16 => DatumType::U16,
                D::Uint32 => DatumType::U32,
                D::Uint64 => DatumType::U64,
                _ => DatumType::F32,
            }
        })
        .collect();
    if types.len() == count {
        Ok(types)
    } else {
        Ok(vec![DatumType::F32; count])
    }
}
