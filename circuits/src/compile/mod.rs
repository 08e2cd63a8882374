//! From a float graph to settings + quantised model: fuse, calibrate, choose the layout, quantise.
//! The ONNX front end calls this after lowering; tests call it on hand-built graphs.

use crate::circuit::commitments_rows;
use crate::error::Result;
use crate::graph::Graph;
use crate::layout::{check_min_k, choose_layout, usable_rows, ModelShape, Target, MAX_K};
use crate::quant::{quantise, Calibration, QuantConfig, QuantModel};
use crate::settings::{IoSpec, LayoutParams, Settings, SETTINGS_VERSION};
use crate::visibility::{InstanceLayout, TensorInstances, TensorRole, Visibility, WeightsMode};
use widen::widen_escaped;

mod widen;

/// The narrowest limbs tried before a model falls back to affine lanes (17-bit values).
const MIN_LIMB_BITS: u32 = 8;

/// Options of [`compile_graph`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompileOptions {
    /// What calibration optimises for.
    pub target: Target,
    /// Calibrated ranges are multiplied by this before scales are chosen.
    pub headroom: f64,
    /// At least `2^min_k` rows (EZKL's `logrows`); 0 for as few as the model needs.
    pub min_k: u32,
    /// Use limb lanes where the model allows them (no function tables: only identity, Relu, max/min): values
    /// of `2t + 1` bits through a `2^t`-row table, so more precision and fewer rows than one `b`-bit
    /// table (see [`crate::chips::limb_lane`]). `false` keeps the affine lanes for every model.
    pub limbs: bool,
    /// Who sees the inputs' values ([`crate::visibility`]): every input gets this visibility.
    pub inputs: Visibility,
    /// Who sees the outputs' values: every output gets this visibility.
    pub outputs: Visibility,
    /// Where the weights of MatMul and Gemm live ([`WeightsMode`]): the front end lowers them to committed
    /// weight inputs when `Committed` (always hashed, whatever `inputs` says).
    pub weights: WeightsMode,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            target: Target::Resources,
            headroom: 2.0,
            min_k: 0,
            limbs: true,
            inputs: Visibility::Public,
            outputs: Visibility::Public,
            weights: WeightsMode::Fixed,
        }
    }
}

/// The result of compiling a graph.
#[derive(Debug, Clone)]
pub struct CompiledGraph {
    /// Settings with an empty `model_hash` (the artifact writer fills it in).
    pub settings: Settings,
    /// The quantised model.
    pub quant: QuantModel,
    /// The calibrated ranges.
    pub calibration: Calibration,
    /// The fused graph that was quantised (for float reference runs).
    pub graph: Graph,
}

/// Calibration rounds that widen a range its own samples escape (see [`compile_graph`]).
const MAX_WIDENINGS: usize = 16;

/// Compiles a float graph, calibrating on `samples` (each: one flat vector per graph input).
///
/// The calibrated ranges are float ranges; fixed-point rounding moves a value by a few steps of the
/// encodings it is computed from, which can take a value at the edge of a tightly calibrated range (a
/// difference that is about 0 in floats, say) outside it. So the compiled model runs its own calibration
/// samples in exact integer inference: a range that a sample escapes is widened by what the rounding
/// added (the escaped value plus a few steps of its encoding) and the model compiled again. A model whose
/// calibration samples fit compiles exactly as before.
pub fn compile_graph(
    mut graph: Graph,
    samples: &[Vec<Vec<f64>>],
    opts: &CompileOptions,
) -> Result<CompiledGraph> {
    graph.validate()?;
    graph.fuse();
    graph.validate()?;
    check_min_k(opts.min_k)?;
    let mut calibration = Calibration::from_samples(&graph, samples)?;
    let mut previous: Option<QuantModel> = None;
    for round in 0..=MAX_WIDENINGS {
        let (settings, quant) = compile_calibrated(&graph, &calibration, opts)?;
        // a widening that changed no encoding will not change the next round either
        let unchanged = previous.as_ref() == Some(&quant);
        let widened = round < MAX_WIDENINGS
            && !unchanged
            && widen_escaped(&graph, &quant, &settings, samples, &mut calibration);
        if !widened {
            return Ok(CompiledGraph {
                settings,
                quant,
                calibration,
                graph,
            });
        }
        previous = Some(quant);
    }
    unreachable!("the rounds end by MAX_WIDENINGS")
}

/// Quantises and lays out a fused graph with the given ranges.
fn compile_calibrated(
    graph: &Graph,
    calibration: &Calibration,
    opts: &CompileOptions,
) -> Result<(Settings, QuantModel)> {
    let quantise_at = |bits: u32| {
        quantise(
            graph,
            calibration,
            &QuantConfig {
                lookup_bits: bits,
                headroom: opts.headroom,
            },
        )
    };
    // A trial: quantise with the target's narrowest tables and count the rows of its plan; the layout
    // is chosen from those counts, and the model re-quantised if the tables grow into the rows k pays for.
    // Limb lanes when the model allows them and quantises at their width (a model whose fixed-point
    // values would not fit 62 bits at the wider scales keeps affine lanes).
    let trial_bits = opts.target.min_lookup_bits();
    let trial = quantise_at(trial_bits)?;
    let shape = ModelShape::of(&trial)?;
    let limbed = match opts.limbs && shape.limbs {
        true => {
            // narrower limbs (a smaller table, fewer value bits) before giving limb lanes up: the layout
            // chosen for the wider table fits the narrower one too
            let widest = choose_layout(&shape, opts.target, opts.min_k, true)?;
            let widest_bits = widest.layout.table_bits();
            (MIN_LIMB_BITS.min(widest_bits)..=widest_bits)
                .rev()
                .find_map(|t| {
                    let mut choice = widest;
                    choice.layout.lane = choice.layout.lane.with_table_bits(t);
                    quantise_at(choice.layout.value_bits())
                        .ok()
                        .map(|quant| (choice, quant))
                })
        }
        false => None,
    };
    let (choice, quant) = match limbed {
        Some(found) => found,
        None => {
            let choice = choose_layout(&shape, opts.target, opts.min_k, false)?;
            let quant = match choice.layout.value_bits() {
                bits if bits == trial_bits => trial,
                bits => quantise_at(bits)?,
            };
            (choice, quant)
        }
    };
    let gate = quant.lane_gate();
    let io = |ids: &[usize], visibility: Visibility| -> Vec<IoSpec> {
        ids.iter()
            .map(|&t| {
                let weights = graph.weight_inputs.contains(&t);
                IoSpec {
                    name: quant.tensors[t].name.clone(),
                    shape: quant.tensors[t].shape.clone(),
                    encoding: quant.tensors[t].encoding,
                    visibility: match weights {
                        true => Visibility::Hashed,
                        false => visibility,
                    },
                    role: match weights {
                        true => TensorRole::Weights,
                        false => TensorRole::Data,
                    },
                }
            })
            .collect()
    };
    let (inputs, outputs) = (
        io(&quant.inputs, opts.inputs),
        io(&quant.outputs, opts.outputs),
    );
    // the Poseidon chip's commitments to hashed tensors run beside the model's rows: k must hold them too
    let mut k = choice.k;
    let commitments = commitments_rows(&InstanceLayout {
        tensors: inputs
            .iter()
            .chain(&outputs)
            .map(|io| TensorInstances {
                numel: io.numel(),
                visibility: io.visibility,
            })
            .collect(),
        inputs: inputs.len(),
    });
    while usable_rows(k) < commitments && k < MAX_K {
        k += 1;
    }
    let settings = Settings {
        version: SETTINGS_VERSION,
        model_name: graph.name.clone(),
        k,
        layout: LayoutParams {
            gate,
            ..choice.layout
        },
        tables: quant.tables.clone(),
        inputs,
        outputs,
        model_hash: String::new(),
    };
    Ok((settings, quant))
}
