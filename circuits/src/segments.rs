//! Splitting a quantised model into segments, each its own circuit of at most `2^max_k` rows.
//!
//! The split runs after quantisation, so the stored integers of a tensor at a cut are exactly what the next
//! segment reads (same [`Encoding`]). The ops are partitioned in order; every tensor produced before a cut
//! and used after it (residual skips and the model's own outputs included) crosses the cut: it is an output
//! of the segment before the cut and an input of the segment after it, *hashed* on both sides, so that the
//! two proofs are linked by equal Poseidon commitments (the same values under the same salt). A tensor
//! produced in segment 0 and used in segment 3 therefore passes through segments 1 and 2 (an input copied
//! to an output): every link joins two adjacent segments, and segment `i`'s outputs are segment `i + 1`'s
//! inputs, in the same order. The first segment's inputs and the last segment's outputs are the model's,
//! with the visibility the user chose.
//!
//! Each segment is an ordinary compiled model (settings + [`QuantModel`]) with its own layout chosen from
//! its rows, all with the whole model's value bits (the quantisation fixed them).

use crate::chips::{LookupTableConfig, RangeTableConfig};
use crate::circuit::commitments_rows;
use crate::compile::CompiledGraph;
use crate::encoding::Encoding;
use crate::error::CircuitError;
use crate::graph::TensorId;
use crate::layout::{choose_layout, usable_rows, ModelShape, Target};
use crate::quant::{quantise, QInput, QOp, QuantConfig, QuantModel};
use crate::settings::{IoSpec, LaneKind, Settings, TableKind, Visibility};
use crate::visibility::{InstanceLayout, TensorInstances};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The narrowest limbs a split model is quantised for when the whole model's range table does not fit
/// the row budget (as [`crate::compile`] tries).
const MIN_LIMB_BITS: u32 = 8;

/// Why a model cannot be split.
#[derive(Debug, Error)]
pub enum SegmentError {
    /// One op alone needs more rows than `2^max_k`.
    #[error(
        "op {op} ('{name}') alone needs more than 2^{max_k} rows (with the tensors crossing into and out of \
         it): raise --max-k"
    )]
    OpTooLarge {
        /// Index of the op in the quantised model.
        op: usize,
        /// The node (or tensor) it computes.
        name: String,
        /// The row budget.
        max_k: u32,
    },
    /// The model's lookup tables alone do not fit `2^max_k` rows.
    #[error("the lookup tables need {rows} rows, more than 2^{max_k} holds: raise --max-k")]
    TablesTooLarge {
        /// Rows of the table.
        rows: usize,
        /// The row budget.
        max_k: u32,
    },
    /// A graph input that is not among the first ops (its segment would have a user input mid-chain).
    #[error("graph input {index} is not computed before the model's first op")]
    LateInput {
        /// The input's index.
        index: usize,
    },
    /// Planning or laying out a segment failed.
    #[error(transparent)]
    Circuit(#[from] CircuitError),
}

/// A tensor at a cut: what the manifest records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutTensor {
    /// Tensor name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Its stored values' encoding (the same on both sides of the cut).
    pub encoding: Encoding,
}

/// One segment: an ordinary compiled model (settings with an empty `model_hash`, quantised model).
#[derive(Debug, Clone)]
pub struct Segment {
    /// Its settings.
    pub settings: Settings,
    /// Its quantised model: the whole model's tensor list, its inputs' range checks and its ops.
    pub quant: QuantModel,
    /// The ops of the whole model it holds.
    pub ops: std::ops::Range<usize>,
}

/// A split model: its segments in order and the tensors crossing each cut (`cuts[i]` joins segment `i` and
/// `i + 1`).
#[derive(Debug, Clone)]
pub struct SplitModel {
    /// The segments, in evaluation order.
    pub segments: Vec<Segment>,
    /// The tensors of each cut, in the order of the producer's outputs (= the consumer's inputs).
    pub cuts: Vec<Vec<CutTensor>>,
}

/// Rows of the lookup table of a lane kind (the shared table of the sub-tables, or the limbs' range table).
fn table_rows(lane: LaneKind, tables: &[TableKind]) -> usize {
    match lane {
        LaneKind::Affine { value_bits } => LookupTableConfig::rows(tables, value_bits),
        LaneKind::Limb { limb_bits, .. } => RangeTableConfig::rows(limb_bits),
    }
}

/// The tensors an op reads.
fn reads(op: &QOp) -> Vec<TensorId> {
    match op {
        QOp::Input(_) => vec![],
        QOp::Dense(d) => vec![d.input],
        QOp::Lane(l) => std::iter::once(l.a).chain(l.b).collect(),
        QOp::Alias(a) => std::iter::once(a.input)
            .chain(a.more_inputs.iter().copied())
            .collect(),
        QOp::Linear(l) => vec![l.input],
        QOp::Dot(d) => vec![d.a, d.b],
        QOp::Gather(g) => match &g.data {
            crate::quant::QGatherData::Tensor(t) => vec![*t, g.index],
            crate::quant::QGatherData::Const(_) => vec![g.index],
        },
    }
}

/// The tensor an op writes.
fn writes(op: &QOp) -> TensorId {
    match op {
        QOp::Input(i) => i.tensor,
        QOp::Dense(d) => d.output,
        QOp::Lane(l) => l.output,
        QOp::Alias(a) => a.output,
        QOp::Linear(l) => l.output,
        QOp::Dot(d) => d.output,
        QOp::Gather(g) => g.output,
    }
}

/// Which tensors cross each cut position of a model's ops.
struct Liveness {
    /// Op producing each tensor (`usize::MAX`: none).
    producer: Vec<usize>,
    /// Last op reading each tensor (`ops.len()` for the model's outputs; `None`: never read).
    last_use: Vec<Option<usize>>,
}

impl Liveness {
    fn of(qm: &QuantModel) -> Self {
        let mut producer = vec![usize::MAX; qm.tensors.len()];
        let mut last_use = vec![None; qm.tensors.len()];
        for (i, op) in qm.ops.iter().enumerate() {
            producer[writes(op)] = i;
            for t in reads(op) {
                last_use[t] = Some(i);
            }
        }
        for &o in &qm.outputs {
            last_use[o] = Some(qm.ops.len());
        }
        Self { producer, last_use }
    }

    /// Tensors produced before op `cut` and used at or after it, in tensor order.
    fn crossing(&self, cut: usize) -> Vec<TensorId> {
        (0..self.producer.len())
            .filter(|&t| self.producer[t] < cut && self.last_use[t].is_some_and(|last| last >= cut))
            .collect()
    }

    fn crossing_numel(&self, qm: &QuantModel, cut: usize) -> usize {
        self.crossing(cut)
            .iter()
            .map(|&t| qm.tensors[t].numel())
            .sum()
    }
}

/// How the segments are laid out: the whole model's options and lane kind (its value bits).
struct SplitPlan<'a> {
    qm: &'a QuantModel,
    live: Liveness,
    lane: LaneKind,
    limbs: bool,
    target: Target,
    max_k: u32,
    inputs: Visibility,
    outputs: Visibility,
    /// Leading ops that are the model's inputs (every segment boundary lies after them).
    first_op: usize,
}

impl SplitPlan<'_> {
    /// The segment of ops `[s, e)`: its quantised model and settings (`None` when it needs more than
    /// `2^max_k` rows).
    fn segment(&self, s: usize, e: usize) -> Result<Option<Segment>, SegmentError> {
        let qm = self.qm;
        let n = qm.ops.len();
        let inputs = match s {
            0 => qm.inputs.clone(),
            s => self.live.crossing(s),
        };
        let outputs = match e == n {
            true => qm.outputs.clone(),
            false => self.live.crossing(e),
        };
        let mut ops: Vec<QOp> = Vec::with_capacity(e - s + inputs.len());
        if s > 0 {
            ops.extend(inputs.iter().enumerate().map(|(index, &tensor)| {
                QOp::Input(QInput {
                    index,
                    tensor,
                    boolean: qm.tensors[tensor].encoding == Encoding::boolean(),
                })
            }));
        }
        ops.extend(qm.ops[s..e].iter().cloned());
        let quant = QuantModel {
            name: qm.name.clone(),
            lookup_bits: qm.lookup_bits,
            tensors: qm.tensors.clone(),
            ops,
            inputs,
            outputs,
            tables: qm.tables.clone(),
        };
        let shape = ModelShape::of(&quant)?;
        // the layout the segment would have on its own: a narrower budget buys no wider rows (columns cost
        // memory as rows do), so a segment fits when its own layout has at most 2^max_k rows
        let choice = match choose_layout(&shape, self.target, 0, self.limbs) {
            Ok(c) => c,
            Err(CircuitError::TooLarge { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let io = |ids: &[usize], visibility: Visibility| -> Vec<IoSpec> {
            ids.iter()
                .map(|&t| IoSpec {
                    name: quant.tensors[t].name.clone(),
                    shape: quant.tensors[t].shape.clone(),
                    encoding: quant.tensors[t].encoding,
                    visibility,
                    role: Default::default(),
                })
                .collect()
        };
        let inputs = io(
            &quant.inputs,
            match s {
                0 => self.inputs,
                _ => Visibility::Hashed,
            },
        );
        let outputs = io(
            &quant.outputs,
            match e == n {
                true => self.outputs,
                false => Visibility::Hashed,
            },
        );
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
        let mut layout = choice.layout;
        // the quantisation fixed the value bits: every segment's lanes and tables have the whole model's
        layout.lane = choice.layout.lane.with_table_bits(self.lane.table_bits());
        let table = table_rows(layout.lane, &quant.tables);
        let mut k = choice.k;
        while (usable_rows(k) < commitments.max(table) || layout.table_bits() >= k)
            && k <= self.max_k
        {
            k += 1;
        }
        if k > self.max_k {
            return Ok(None);
        }
        let settings = Settings {
            version: crate::settings::SETTINGS_VERSION,
            model_name: qm.name.clone(),
            k,
            layout,
            tables: quant.tables.clone(),
            inputs,
            outputs,
            model_hash: String::new(),
        };
        Ok(Some(Segment {
            settings,
            quant,
            ops: s..e,
        }))
    }

    /// The segments, greedily: from each start the furthest end that fits, then, among the ends in the last
    /// third before it, the one with the fewest elements crossing the cut.
    fn split(&self) -> Result<Vec<Segment>, SegmentError> {
        let n = self.qm.ops.len();
        let mut segments = Vec::new();
        let mut s = 0;
        while s < n {
            let lo = (s + 1).max(self.first_op.min(n));
            let too_large = || SegmentError::OpTooLarge {
                op: lo - 1,
                name: self.qm.tensors[writes(&self.qm.ops[lo - 1])].name.clone(),
                max_k: self.max_k,
            };
            if self.segment(s, lo)?.is_none() {
                return Err(too_large());
            }
            // the furthest end that fits: doubling, then bisection (rows grow with the ops)
            let (mut good, mut step) = (lo, 1);
            let mut bad = None;
            while good < n {
                let e = (good + step).min(n);
                match self.segment(s, e)? {
                    Some(_) => good = e,
                    None => {
                        bad = Some(e);
                        break;
                    }
                }
                step *= 2;
            }
            if let Some(mut bad) = bad {
                while bad - good > 1 {
                    let mid = good + (bad - good) / 2;
                    match self.segment(s, mid)?.is_some() {
                        true => good = mid,
                        false => bad = mid,
                    }
                }
            }
            let end = match good == n {
                true => n,
                false => {
                    let from = lo.max(good - (good - s) / 3);
                    (from..=good)
                        .rev()
                        .min_by_key(|&e| self.live.crossing_numel(self.qm, e))
                        .unwrap_or(good)
                }
            };
            let seg = match self.segment(s, end)? {
                Some(seg) => seg,
                None => self.segment(s, good)?.ok_or_else(too_large)?,
            };
            s = seg.ops.end;
            segments.push(seg);
        }
        Ok(segments)
    }
}

/// Splits a compiled model into segments of at most `2^max_k` rows each. A model that fits `2^max_k`
/// rows as it is compiled stays one segment with its settings unchanged.
///
/// When the whole model's lookup table does not fit `2^max_k` rows (affine lanes whose tables grew into
/// the whole model's rows), the model is quantised again, from the same calibration, at the widest
/// tables that fit.
pub fn split(
    whole: &CompiledGraph,
    target: Target,
    headroom: f64,
    max_k: u32,
) -> Result<SplitModel, SegmentError> {
    if whole.settings.k <= max_k {
        return Ok(SplitModel {
            segments: vec![Segment {
                settings: whole.settings.clone(),
                quant: whole.quant.clone(),
                ops: 0..whole.quant.ops.len(),
            }],
            cuts: vec![],
        });
    }
    let usable = usable_rows(max_k);
    let mut lane = whole.settings.layout.lane;
    let tables = &whole.quant.tables;
    let requantised;
    let qm = match table_rows(lane, tables) > usable {
        false => &whole.quant,
        true => {
            // the narrowest tables the target allows, up to the whole model's
            let floor = match lane {
                LaneKind::Affine { .. } => target.min_lookup_bits(),
                LaneKind::Limb { .. } => MIN_LIMB_BITS,
            };
            let narrower = (floor..lane.table_bits()).rev().find_map(|b| {
                let candidate = lane.with_table_bits(b);
                if b >= max_k || table_rows(candidate, tables) > usable {
                    return None;
                }
                let config = QuantConfig {
                    lookup_bits: candidate.value_bits(),
                    headroom,
                };
                quantise(&whole.graph, &whole.calibration, &config)
                    .ok()
                    .map(|q| (candidate, q))
            });
            let (candidate, q) = narrower.ok_or(SegmentError::TablesTooLarge {
                rows: table_rows(lane, tables),
                max_k,
            })?;
            lane = candidate;
            requantised = q;
            &requantised
        }
    };
    if table_rows(lane, &qm.tables) > usable {
        return Err(SegmentError::TablesTooLarge {
            rows: table_rows(lane, &qm.tables),
            max_k,
        });
    }
    let first_op = qm
        .ops
        .iter()
        .take_while(|op| matches!(op, QOp::Input(_)))
        .count();
    if let Some(QOp::Input(late)) = qm.ops[first_op..]
        .iter()
        .find(|op| matches!(op, QOp::Input(_)))
    {
        return Err(SegmentError::LateInput { index: late.index });
    }
    let vis = |specs: &[IoSpec]| specs.first().map_or(Visibility::Public, |io| io.visibility);
    let plan = SplitPlan {
        qm,
        live: Liveness::of(qm),
        lane,
        limbs: matches!(lane, LaneKind::Limb { .. }),
        target,
        max_k,
        inputs: vis(&whole.settings.inputs),
        outputs: vis(&whole.settings.outputs),
        first_op,
    };
    let segments = plan.split()?;
    let cuts = segments[..segments.len().saturating_sub(1)]
        .iter()
        .map(|seg| {
            seg.quant
                .outputs
                .iter()
                .map(|&t| CutTensor {
                    name: qm.tensors[t].name.clone(),
                    shape: qm.tensors[t].shape.clone(),
                    encoding: qm.tensors[t].encoding,
                })
                .collect()
        })
        .collect();
    Ok(SplitModel { segments, cuts })
}
