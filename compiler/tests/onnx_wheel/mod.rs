//! The `onnx` wheel's backend test data, shared by the tests that read it: where it is installed and how
//! its `*.pb` tensors read.
#![allow(dead_code)]

use prost::Message;
use std::path::{Path, PathBuf};

/// The wheel's `backend/test/data` folder: `ONNX_BACKEND_TEST_DATA`, else the `onnx` package of
/// `models/.venv/bin/python` or of `python3`; `None` when neither has it.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("ONNX_BACKEND_TEST_DATA") {
        return Some(PathBuf::from(d));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = root.join("models/.venv/bin/python");
    let pythons = [venv.display().to_string(), "python3".to_string()];
    pythons.iter().find_map(|py| {
        let out = std::process::Command::new(py)
            .args([
                "-c",
                "import onnx, os; print(os.path.dirname(onnx.__file__))",
            ])
            .output()
            .ok()?;
        let dir = String::from_utf8(out.stdout).ok()?;
        let data = Path::new(dir.trim()).join("backend/test/data");
        (out.status.success() && data.is_dir()).then_some(data)
    })
}

/// One `*.pb` tensor, flattened to numbers (booleans are 0 and 1); `None` for a file that is not a
/// numeric tensor (sequences, strings, optionals).
pub fn read_pb(path: &Path) -> Option<Vec<f64>> {
    let bytes = std::fs::read(path).ok()?;
    let proto = tract_onnx::pb::TensorProto::decode(bytes.as_slice()).ok()?;
    let onnx = tract_onnx::onnx();
    let t = tract_onnx::tensor::load_tensor(&*onnx.provider, &proto, None).ok()?;
    let t = t.cast_to::<f64>().ok()?;
    Some(
        t.to_plain_array_view::<f64>()
            .ok()?
            .iter()
            .copied()
            .collect(),
    )
}

/// The numbered `prefix_*.pb` tensors of a test data set, in order; `None` if one does not read.
pub fn read_set(set: &Path, prefix: &str) -> Option<Vec<Vec<f64>>> {
    let mut all = Vec::new();
    for i in 0.. {
        let p = set.join(format!("{prefix}_{i}.pb"));
        if !p.is_file() {
            break;
        }
        all.push(read_pb(&p)?);
    }
    Some(all)
}

/// The inputs of a test data set as an EZKL input file in `scratch`, when they are numeric and finite.
pub fn sample_file(set: &Path, scratch: &Path) -> Option<PathBuf> {
    let lists = read_set(set, "input")?;
    if lists.is_empty() || lists.iter().flatten().any(|x| !x.is_finite()) {
        return None;
    }
    if lists.iter().any(Vec::is_empty) {
        return None;
    }
    let path = scratch.join("input.json");
    let text = serde_json::json!({ "input_data": lists }).to_string();
    std::fs::write(&path, text).ok()?;
    Some(path)
}
