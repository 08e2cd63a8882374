//! Public instances from input and output values: every input element, then every output element, each
//! as its stored fixed-point integer, then the settings digest and the binding value. The market and the CLI rebuild instances with this, never trusting
//! the instances inside a proof file.

use zkinfer_circuits::field::fr_from_i128;
use zkinfer_circuits::settings::{IoSpec, Settings};
use zkinfer_circuits::Fr;

/// Stored integers of the values of one tensor; values must lie exactly on the tensor's fixed-point grid
/// when `exact`, else they are rounded onto it.
pub fn encode(spec: &IoSpec, values: &[f64], what: &str, exact: bool) -> Result<Vec<i64>, String> {
    if values.len() != spec.numel() {
        return Err(format!(
            "{what} ('{}') has {} values, the model's shape {:?} needs {}",
            spec.name,
            values.len(),
            spec.shape,
            spec.numel()
        ));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let e = spec.encoding;
            let s = e.quantise(v).ok_or_else(|| {
                format!("{what} ('{}') element {i}: {v} is outside the range [{}, {}]", spec.name, e.min_value(), e.max_value())
            })?;
            if exact && e.dequantise(s) != v {
                return Err(format!("{what} ('{}') element {i}: {v} is not a value the circuit can output (not on its fixed-point grid)", spec.name));
            }
            Ok(s)
        })
        .collect()
}

/// The instance vector for the given (dequantised) inputs and outputs, then the settings digest and the
/// binding value.
pub fn instances(
    settings: &Settings,
    inputs: &[Vec<f64>],
    outputs: &[Vec<f64>],
    bind: Fr,
) -> Result<Vec<Fr>, String> {
    if inputs.len() != settings.inputs.len() {
        return Err(format!(
            "the model has {} input(s), found {}",
            settings.inputs.len(),
            inputs.len()
        ));
    }
    if outputs.len() != settings.outputs.len() {
        return Err(format!(
            "the model has {} output(s), found {}",
            settings.outputs.len(),
            outputs.len()
        ));
    }
    let mut out = Vec::with_capacity(settings.num_instances());
    for (i, (spec, v)) in settings.inputs.iter().zip(inputs).enumerate() {
        out.extend(
            encode(spec, v, &format!("input {i}"), true)?
                .into_iter()
                .map(|s| fr_from_i128(s as i128)),
        );
    }
    for (i, (spec, v)) in settings.outputs.iter().zip(outputs).enumerate() {
        out.extend(
            encode(spec, v, &format!("output {i}"), true)?
                .into_iter()
                .map(|s| fr_from_i128(s as i128)),
        );
    }
    out.push(settings.digest());
    out.push(bind);
    Ok(out)
}
