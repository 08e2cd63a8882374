//! Per-model accuracy bounds set from measurement, not one blanket tolerance.
//!
//! A model's error is its relative error `max |proved - reference| / max |reference|`, the worst over its
//! outputs. Compilation is deterministic (calibration, scales and tables depend only on the model and its
//! samples), so the error of a model on its committed input is reproducible and the bound can be tight.
//! Each test file keeps a table `(model, measured, bound)`: `measured` is the error measured when the bound
//! was set, and
//!
//! > `bound = min(previous, max(2 × measured, step / magnitude))`, rounded up to two significant digits,
//!
//! where `step` is one unit of the worst output's fixed-point encoding (`2^-scale`; a model that is exact
//! to the last bit may still move by one step when a rounding changes) and `previous` is the bound the test
//! held before (5% for most, the README's stated bound in accuracy_bounds.rs): no test is looser than it
//! was. A change that makes a model less accurate fails its test by name; a change meant to do so
//! re-measures (`-- --nocapture`: the `ACCURACY` lines print the measurement and the step) and updates the
//! table in the same commit.
#![allow(dead_code)]

/// One output's largest absolute error, the reference's largest magnitude, and one step of its encoding.
#[derive(Debug, Clone, Copy)]
pub struct OutputError {
    pub err: f64,
    pub mag: f64,
    pub step: f64,
}

impl OutputError {
    /// Compares a proved output with its reference; `step` is one unit of the output's encoding.
    pub fn of(proved: &[f64], reference: &[f64], step: f64) -> Self {
        assert_eq!(proved.len(), reference.len(), "output sizes differ");
        let err = proved
            .iter()
            .zip(reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let mag = reference.iter().map(|v| v.abs()).fold(0.0, f64::max);
        Self { err, mag, step }
    }

    /// `err / mag`; an exact output is 0 even where the reference is all zeros.
    pub fn relative(&self) -> f64 {
        if self.err == 0.0 {
            0.0
        } else {
            self.err / self.mag
        }
    }

    /// One encoding step relative to the magnitude: the floor of a bound.
    pub fn floor(&self) -> f64 {
        if self.mag == 0.0 {
            0.0
        } else {
            self.step / self.mag
        }
    }
}

/// A bound table: `(model, measured, bound)`, both relative errors.
pub type Table = [(&'static str, f64, f64)];

/// Asserts that `model`'s outputs are within the bound its table entry states, printing the measurement.
#[track_caller]
pub fn assert_accuracy(table: &Table, model: &str, outputs: &[OutputError]) {
    assert!(!outputs.is_empty(), "{model}: no outputs to compare");
    // the worst output, and one step of its encoding (an integer output such as a class index has a step
    // of 1: its floor is no licence for the other outputs)
    let worst = outputs
        .iter()
        .max_by(|a, b| a.relative().total_cmp(&b.relative()))
        .expect("an output");
    let (rel, floor) = (worst.relative(), worst.floor());
    let entry = table.iter().find(|(name, _, _)| *name == model);
    println!(
        "ACCURACY {model}: relative error {rel:.3e} (one step {floor:.3e}){}",
        entry.map_or(String::new(), |(_, m, b)| format!(
            "; table: measured {m:.3e}, bound {b:.3e}"
        ))
    );
    assert!(
        entry.is_some(),
        "{model} has no accuracy bound: measured {rel:.3e}, one step {floor:.3e}"
    );
    let &(_, measured, bound) = entry.expect("checked above");
    assert!(
        rel <= bound,
        "{model}: relative error {rel:.3e} (max |proved - reference| / max |reference|) is above its \
         bound {bound:.3e} (measured {measured:.3e} when the bound was set); per output (err, magnitude): \
         {:?}",
        outputs.iter().map(|o| (o.err, o.mag)).collect::<Vec<_>>()
    );
}

/// Every bound holds its measurement with headroom (the rule can only cap it at the previous bound, never
/// at or below the measurement).
pub fn assert_table_follows_the_rule(table: &Table) {
    for (model, measured, bound) in table {
        assert!(
            measured.is_finite() && *measured >= 0.0 && *bound > *measured,
            "{model}: bound {bound:e} leaves no headroom over the measured {measured:e}"
        );
    }
}
