//! `INPUT.json` in EZKL's format: `{"input_data": [[...flattened input 0...], [...input 1...]]}`. A list may
//! hold several samples back to back (a batch in one file, for calibration). An optional `"labels"` list
//! gives the true classes of the samples, for accuracy reports.

use serde_json::Value;

/// A parsed input file.
#[derive(Debug, Clone, PartialEq)]
pub struct InputData {
    /// One flat list per model input.
    pub inputs: Vec<Vec<f64>>,
    pub labels: Option<Vec<i64>>,
}

impl InputData {
    /// Parses the JSON text of an input file; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self, String> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("{source}: not valid JSON: {e}"))?;
        let data = v.get("input_data").ok_or_else(|| {
            format!("{source}: missing field \"input_data\" (expected {{\"input_data\": [[...]]}})")
        })?;
        let lists = data
            .as_array()
            .ok_or_else(|| format!("{source}: field input_data must be a list of lists"))?;
        let mut inputs = Vec::with_capacity(lists.len());
        for (i, list) in lists.iter().enumerate() {
            let list = list.as_array().ok_or_else(|| {
                format!("{source}: field input_data[{i}] must be a list of numbers")
            })?;
            let mut flat = Vec::with_capacity(list.len());
            flatten(list, &mut flat, &format!("{source}: field input_data[{i}]"))?;
            inputs.push(flat);
        }
        let labels = match v.get("labels") {
            None | Some(Value::Null) => None,
            Some(l) => Some(
                l.as_array()
                    .and_then(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| format!("{source}: field labels must be a list of integers"))?,
            ),
        };
        Ok(Self { inputs, labels })
    }

    /// Reads and parses a file.
    pub fn read(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Splits into samples for inputs of `sizes` elements: each list must hold the same whole number of them.
    pub fn samples(&self, sizes: &[usize], source: &str) -> Result<Vec<Vec<Vec<f64>>>, String> {
        if self.inputs.len() != sizes.len() {
            return Err(format!(
                "{source}: the model has {} input(s), the file gives {}",
                sizes.len(),
                self.inputs.len()
            ));
        }
        let mut count = None;
        for (i, (list, &n)) in self.inputs.iter().zip(sizes).enumerate() {
            if n == 0 || list.is_empty() || list.len() % n != 0 {
                return Err(format!(
                    "{source}: input_data[{i}] has {} values, not a multiple of the input size {n}",
                    list.len()
                ));
            }
            let c = list.len() / n;
            if *count.get_or_insert(c) != c {
                return Err(format!(
                    "{source}: inputs hold different numbers of samples"
                ));
            }
        }
        let count = count.unwrap_or(0);
        Ok((0..count)
            .map(|s| {
                self.inputs
                    .iter()
                    .zip(sizes)
                    .map(|(list, &n)| list[s * n..(s + 1) * n].to_vec())
                    .collect()
            })
            .collect())
    }
}

fn flatten(list: &[Value], out: &mut Vec<f64>, at: &str) -> Result<(), String> {
    for (j, v) in list.iter().enumerate() {
        match v {
            Value::Number(n) => {
                let x = n
                    .as_f64()
                    .ok_or_else(|| format!("{at}[{j}]: {n} is not representable"))?;
                if !x.is_finite() {
                    return Err(format!("{at}[{j}]: {n} is not a finite number"));
                }
                out.push(x);
            }
            Value::Array(inner) => flatten(inner, out, &format!("{at}[{j}]"))?,
            other => return Err(format!("{at}[{j}]: {other} is not a number")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ezkl_format_batches_and_errors() {
        let d = InputData::parse(
            r#"{"input_data": [[1, 2.5, [3, 4]]], "labels": [7]}"#,
            "in.json",
        )
        .expect("ok");
        assert_eq!(d.inputs, vec![vec![1.0, 2.5, 3.0, 4.0]]);
        assert_eq!(d.samples(&[2], "in.json").expect("batch").len(), 2);
        assert!(d
            .samples(&[3], "in.json")
            .unwrap_err()
            .contains("not a multiple"));
        let e = InputData::parse(r#"{"input_data": [[1, "x"]]}"#, "in.json").unwrap_err();
        assert!(e.contains("input_data[0][1]"), "{e}");
        let e = InputData::parse(r#"{"data": []}"#, "in.json").unwrap_err();
        assert!(e.contains("missing field \"input_data\""), "{e}");
        assert!(InputData::parse("{", "in.json")
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(InputData::parse(r#"{"input_data": [[null]]}"#, "f")
            .unwrap_err()
            .contains("is not a number"));
    }
}
