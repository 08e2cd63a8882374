//! `INPUT.json` in EZKL's format: `{"input_data": [[...flattened input 0...], [...input 1...]]}`. A list may
//! hold several samples back to back (a batch in one file, for calibration). An optional `"labels"` list
//! gives the true classes of the samples, for accuracy reports.

use serde_json::Value;
use thiserror::Error;

/// Why an input file cannot be read or does not fit the model. `file` names the file (or the source
/// given to [`InputData::parse`]); `at` names a field such as `input_data[0][3]`.
#[derive(Debug, Error)]
pub enum InputDataError {
    /// The file cannot be read.
    #[error("{file}: cannot read")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("{file}: not valid JSON")]
    Json {
        /// The file.
        file: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The `input_data` field is missing.
    #[error("{file}: missing field \"input_data\" (expected {{\"input_data\": [[...]]}})")]
    MissingInputData {
        /// The file.
        file: String,
    },
    /// `input_data` is not a list of lists.
    #[error("{file}: field input_data must be a list of lists")]
    NotAList {
        /// The file.
        file: String,
    },
    /// One entry of `input_data` is not a list.
    #[error("{file}: field input_data[{index}] must be a list of numbers")]
    InputNotAList {
        /// The file.
        file: String,
        /// Index of the entry.
        index: usize,
    },
    /// `labels` is not a list of integers.
    #[error("{file}: field labels must be a list of integers")]
    Labels {
        /// The file.
        file: String,
    },
    /// An element is not a number.
    #[error("{file}: field {at}: {value} is not a number")]
    NotANumber {
        /// The file.
        file: String,
        /// The element's path.
        at: String,
        /// The JSON value found.
        value: String,
    },
    /// An element is a number that `f64` cannot represent.
    #[error("{file}: field {at}: {value} is not representable")]
    NotRepresentable {
        /// The file.
        file: String,
        /// The element's path.
        at: String,
        /// The number as written.
        value: String,
    },
    /// An element is not finite.
    #[error("{file}: field {at}: {value} is not a finite number")]
    NotFinite {
        /// The file.
        file: String,
        /// The element's path.
        at: String,
        /// The number as written.
        value: String,
    },
    /// The file gives another number of inputs than the model has.
    #[error("{file}: the model has {expected} input(s), the file gives {found}")]
    InputCount {
        /// The file.
        file: String,
        /// Inputs of the model.
        expected: usize,
        /// Inputs in the file.
        found: usize,
    },
    /// A list does not hold a whole number of samples.
    #[error(
        "{file}: input_data[{index}] has {values} values, not a multiple of the input size {size}"
    )]
    NotMultiple {
        /// The file.
        file: String,
        /// Index of the input.
        index: usize,
        /// Values in its list.
        values: usize,
        /// Elements of one sample of that input.
        size: usize,
    },
    /// The lists hold different numbers of samples.
    #[error(
        "{file}: inputs hold different numbers of samples (input_data[0] holds {first}, \
         input_data[{index}] holds {found})"
    )]
    SampleCounts {
        /// The file.
        file: String,
        /// Samples in the first list.
        first: usize,
        /// Index of the first list that differs.
        index: usize,
        /// Samples in that list.
        found: usize,
    },
}

/// A parsed input file.
#[derive(Debug, Clone, PartialEq)]
pub struct InputData {
    /// One flat list per model input.
    pub inputs: Vec<Vec<f64>>,
    /// The true classes of the samples, when the file gives them.
    pub labels: Option<Vec<i64>>,
}

impl InputData {
    /// Parses the JSON text of an input file; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self, InputDataError> {
        let file = || source.to_string();
        let v: Value = serde_json::from_str(text).map_err(|e| InputDataError::Json {
            file: file(),
            source: e,
        })?;
        let data = v
            .get("input_data")
            .ok_or_else(|| InputDataError::MissingInputData { file: file() })?;
        let lists = data
            .as_array()
            .ok_or_else(|| InputDataError::NotAList { file: file() })?;
        let mut inputs = Vec::with_capacity(lists.len());
        for (index, list) in lists.iter().enumerate() {
            let list = list
                .as_array()
                .ok_or_else(|| InputDataError::InputNotAList {
                    file: file(),
                    index,
                })?;
            let mut flat = Vec::with_capacity(list.len());
            flatten(list, &mut flat, source, &format!("input_data[{index}]"))?;
            inputs.push(flat);
        }
        let labels = match v.get("labels") {
            None | Some(Value::Null) => None,
            Some(l) => Some(
                l.as_array()
                    .and_then(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| InputDataError::Labels { file: file() })?,
            ),
        };
        Ok(Self { inputs, labels })
    }

    /// Reads and parses a file.
    pub fn read(path: &std::path::Path) -> Result<Self, InputDataError> {
        let text = std::fs::read_to_string(path).map_err(|e| InputDataError::Read {
            file: path.display().to_string(),
            source: e,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Splits into samples for inputs of `sizes` elements: each list must hold the same whole number of them.
    pub fn samples(
        &self,
        sizes: &[usize],
        source: &str,
    ) -> Result<Vec<Vec<Vec<f64>>>, InputDataError> {
        let file = || source.to_string();
        if self.inputs.len() != sizes.len() {
            return Err(InputDataError::InputCount {
                file: file(),
                expected: sizes.len(),
                found: self.inputs.len(),
            });
        }
        let mut count = None;
        for (index, (list, &n)) in self.inputs.iter().zip(sizes).enumerate() {
            if n == 0 || list.is_empty() || list.len() % n != 0 {
                return Err(InputDataError::NotMultiple {
                    file: file(),
                    index,
                    values: list.len(),
                    size: n,
                });
            }
            let c = list.len() / n;
            let first = *count.get_or_insert(c);
            if first != c {
                return Err(InputDataError::SampleCounts {
                    file: file(),
                    first,
                    index,
                    found: c,
                });
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

fn flatten(list: &[Value], out: &mut Vec<f64>, file: &str, at: &str) -> Result<(), InputDataError> {
    for (j, v) in list.iter().enumerate() {
        let at = || format!("{at}[{j}]");
        match v {
            Value::Number(n) => {
                let x = n.as_f64().ok_or_else(|| InputDataError::NotRepresentable {
                    file: file.to_string(),
                    at: at(),
                    value: n.to_string(),
                })?;
                if !x.is_finite() {
                    return Err(InputDataError::NotFinite {
                        file: file.to_string(),
                        at: at(),
                        value: n.to_string(),
                    });
                }
                out.push(x);
            }
            // boolean inputs (masks, flags) are 0 and 1
            Value::Bool(b) => out.push(f64::from(u8::from(*b))),
            Value::Array(inner) => flatten(inner, out, file, &at())?,
            other => {
                return Err(InputDataError::NotANumber {
                    file: file.to_string(),
                    at: at(),
                    value: other.to_string(),
                })
            }
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
        let e = d.samples(&[3], "in.json").expect_err("must fail");
        assert!(
            matches!(
                e,
                InputDataError::NotMultiple {
                    index: 0,
                    values: 4,
                    size: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("not a multiple"), "{e}");
        let b =
            InputData::parse(r#"{"input_data": [[false, true, 2]]}"#, "in.json").expect("bools");
        assert_eq!(b.inputs, vec![vec![0.0, 1.0, 2.0]]);
        let e =
            InputData::parse(r#"{"input_data": [[1, "x"]]}"#, "in.json").expect_err("must fail");
        assert!(
            matches!(&e, InputDataError::NotANumber { at, .. } if at == "input_data[0][1]"),
            "{e:?}"
        );
        assert!(e.to_string().contains("input_data[0][1]"), "{e}");
        let e = InputData::parse(r#"{"data": []}"#, "in.json").expect_err("must fail");
        assert!(
            e.to_string().contains("missing field \"input_data\""),
            "{e}"
        );
        let e = InputData::parse("{", "in.json").expect_err("must fail");
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        assert!(
            std::error::Error::source(&e).is_some(),
            "the parser's error is the source"
        );
        assert!(InputData::parse(r#"{"input_data": [[null]]}"#, "f")
            .expect_err("must fail")
            .to_string()
            .contains("is not a number"));
        let d = InputData::parse(r#"{"input_data": [[1, 2], [3]]}"#, "f").expect("ok");
        assert!(matches!(
            d.samples(&[1, 1], "f").expect_err("must fail"),
            InputDataError::SampleCounts {
                first: 2,
                index: 1,
                found: 1,
                ..
            }
        ));
    }
}
