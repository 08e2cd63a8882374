//! How close the quantised circuit's outputs are to the float model's: what `compile` reports.

use crate::error::CompileError;
use crate::reference::FloatReference;
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::witness;

/// Accuracy over a set of samples.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyReport {
    pub samples: usize,
    /// Largest absolute difference between a quantised and a float output.
    pub max_abs_error: f64,
    /// Largest absolute float output (the magnitude errors compare with).
    pub max_abs_output: f64,
    /// Samples where the argmax of the (first) output agrees, for outputs with more than one element.
    pub argmax_agree: Option<usize>,
    /// Samples whose quantised argmax equals the true label, when labels are given.
    pub label_correct: Option<usize>,
}

/// Dequantised outputs of the circuit for one sample (exact integer inference, no proof).
pub fn quantised_outputs(
    model: &CompiledModel,
    inputs: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>, CompileError> {
    let w = witness::generate(&model.quant, &model.plan, inputs)?;
    let stored = w.output_values(&model.plan);
    let mut out = Vec::new();
    let mut it = stored.iter();
    for &t in &model.quant.outputs {
        let q = &model.quant.tensors[t];
        out.push(
            it.by_ref()
                .take(q.numel())
                .map(|v| q.encoding.dequantise(*v as i64))
                .collect(),
        );
    }
    Ok(out)
}

/// Index of the largest value.
pub fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold(0, |best, (i, x)| if *x > v[best] { i } else { best })
}

/// Compares circuit and float outputs over samples (with optional true labels).
pub fn evaluate(
    model: &CompiledModel,
    reference: &FloatReference,
    samples: &[Vec<Vec<f64>>],
    labels: Option<&[i64]>,
) -> Result<AccuracyReport, CompileError> {
    evaluate_with_weights(model, reference, samples, labels, &[])
}

/// [`evaluate`] for a model with committed weights: the circuit runs each sample followed by `weights` (its
/// weight inputs), the float reference the sample alone.
pub fn evaluate_with_weights(
    model: &CompiledModel,
    reference: &FloatReference,
    samples: &[Vec<Vec<f64>>],
    labels: Option<&[i64]>,
    weights: &[Vec<f64>],
) -> Result<AccuracyReport, CompileError> {
    let mut r = AccuracyReport {
        samples: samples.len(),
        max_abs_error: 0.0,
        max_abs_output: 0.0,
        argmax_agree: None,
        label_correct: None,
    };
    let classifier = model
        .quant
        .outputs
        .first()
        .is_some_and(|&t| model.quant.tensors[t].numel() > 1);
    let (mut agree, mut correct) = (0, 0);
    for (i, s) in samples.iter().enumerate() {
        let with_weights: Vec<Vec<f64>> = s.iter().chain(weights).cloned().collect();
        let q = quantised_outputs(model, &with_weights)?;
        let f = reference.run(s)?;
        for (qo, fo) in q.iter().zip(&f) {
            for (a, b) in qo.iter().zip(fo) {
                r.max_abs_error = r.max_abs_error.max((a - b).abs());
                r.max_abs_output = r.max_abs_output.max(b.abs());
            }
        }
        if classifier {
            agree += (argmax(&q[0]) == argmax(&f[0])) as usize;
            if let Some(l) = labels.and_then(|l| l.get(i)) {
                correct += (argmax(&q[0]) as i64 == *l) as usize;
            }
        }
    }
    if classifier {
        r.argmax_agree = Some(agree);
        r.label_correct = labels.map(|_| correct);
    }
    Ok(r)
}
