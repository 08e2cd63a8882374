//! From a float graph to settings + quantised model: fuse, calibrate, choose the layout, quantise.
//! The ONNX front end calls this after lowering; tests call it on hand-built graphs.

use crate::error::Result;
use crate::graph::Graph;
use crate::layout::{choose_layout, Target};
use crate::quant::{quantise, Calibration, ModelShape, QuantConfig, QuantModel};
use crate::settings::{IoSpec, Settings, SETTINGS_VERSION};

/// Options of [`compile_graph`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompileOptions {
    pub target: Target,
    /// Calibrated ranges are multiplied by this before scales are chosen.
    pub headroom: f64,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            target: Target::Resources,
            headroom: 2.0,
        }
    }
}

/// The result of compiling a graph.
#[derive(Debug, Clone)]
pub struct CompiledGraph {
    /// Settings with an empty `model_hash` (the artifact writer fills it in).
    pub settings: Settings,
    pub quant: QuantModel,
    pub calibration: Calibration,
    /// The fused graph that was quantised (for float reference runs).
    pub graph: Graph,
}

/// Compiles a float graph, calibrating on `samples` (each: one flat vector per graph input).
pub fn compile_graph(
    mut graph: Graph,
    samples: &[Vec<Vec<f64>>],
    opts: &CompileOptions,
) -> Result<CompiledGraph> {
    graph.validate()?;
    graph.fuse();
    graph.validate()?;
    let shape = ModelShape::of(&graph);
    let choice = choose_layout(&shape, opts.target)?;
    let calibration = Calibration::from_samples(&graph, samples)?;
    let quant = quantise(
        &graph,
        &calibration,
        &QuantConfig {
            lookup_bits: choice.layout.lookup_bits,
            headroom: opts.headroom,
        },
    )?;
    let io = |ids: &[usize]| -> Vec<IoSpec> {
        ids.iter()
            .map(|&t| IoSpec {
                name: quant.tensors[t].name.clone(),
                shape: quant.tensors[t].shape.clone(),
                encoding: quant.tensors[t].encoding,
            })
            .collect()
    };
    let settings = Settings {
        version: SETTINGS_VERSION,
        model_name: graph.name.clone(),
        k: choice.k,
        layout: choice.layout,
        tables: quant.tables.clone(),
        inputs: io(&quant.inputs),
        outputs: io(&quant.outputs),
        model_hash: String::new(),
    };
    Ok(CompiledGraph {
        settings,
        quant,
        calibration,
        graph,
    })
}
