//! Gathers and scatters by indices the model computes (here: integer model inputs), on ONNX's own node
//! test models (models/conformance/node): the circuit's exact inference picks the indexed elements,
//! negative indices count from the end, and an index outside its axis has no witness. For GatherND each
//! index component is checked on its own axis: `[0, 2]` on a 2x2 tensor names no element, although its flat
//! position (2) would be one.

use std::path::{Path, PathBuf};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_compiler::accuracy::quantised_outputs;
use zkinfer_compiler::compile_onnx;

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models/conformance/node")
        .join(name)
        .join("model.onnx")
}

/// Compiles a node test model calibrated on `sample`.
fn compile(name: &str, sample: &[Vec<f64>]) -> CompiledModel {
    let path = std::env::temp_dir().join(format!(
        "zkinfer-computed-index-{name}-{}.json",
        std::process::id()
    ));
    let data = serde_json::json!({ "input_data": sample });
    std::fs::write(&path, data.to_string()).expect("writes");
    let compiled = compile_onnx(
        &case(name),
        std::slice::from_ref(&path),
        &CompileOptions::default(),
    );
    let _ = std::fs::remove_file(&path);
    let c = compiled
        .map_err(|e| format!("{name}: {e}"))
        .expect("compiles");
    assert!(c.settings.layout.gather, "{name}: the gather chip");
    CompiledModel::new(c.quant, &c.settings).expect("plans")
}

fn out_of_axis(m: &CompiledModel, inputs: &[Vec<f64>], bad: f64, len: usize) {
    let err = quantised_outputs(m, inputs).expect_err("an index outside its axis");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "the index {bad} is not an element of the axis of {len}"
        )),
        "{msg}"
    );
}

#[test]
fn gather_nd_checks_every_index_component_on_its_own_axis() {
    let data = vec![0.0, 1.0, 2.0, 3.0];
    let m = compile(
        "test_gathernd_example_int32",
        &[data.clone(), vec![0.0, 0.0, 1.0, 1.0]],
    );
    let run = |idx: [f64; 4]| {
        quantised_outputs(&m, &[data.clone(), idx.to_vec()]).map_err(|e| e.to_string())
    };
    assert_eq!(
        run([0.0, 0.0, 1.0, 1.0]).expect("valid"),
        vec![vec![0.0, 3.0]]
    );
    assert_eq!(
        run([0.0, -1.0, -1.0, 0.0]).expect("negative"),
        vec![vec![1.0, 2.0]]
    );
    out_of_axis(&m, &[data.clone(), vec![0.0, 2.0, 1.0, 1.0]], 2.0, 2);
    out_of_axis(&m, &[data.clone(), vec![0.0, 0.0, -3.0, 1.0]], -3.0, 2);
}

#[test]
fn scatter_elements_writes_updates_at_computed_positions() {
    let data = vec![1.0, 2.0, 3.0, 4.0, 5.0];
    let updates = vec![1.1, 2.1];
    let m = compile(
        "test_scatter_elements_with_axis",
        &[data.clone(), vec![1.0, 3.0], updates.clone()],
    );
    let run = |idx: [f64; 2]| {
        quantised_outputs(&m, &[data.clone(), idx.to_vec(), updates.clone()])
            .map_err(|e| e.to_string())
    };
    let close = |got: Vec<Vec<f64>>, want: [f64; 5]| {
        let err = got[0]
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-3, "{got:?} vs {want:?}");
    };
    close(run([1.0, 3.0]).expect("valid"), [1.0, 1.1, 3.0, 2.1, 5.0]);
    close(
        run([-1.0, 0.0]).expect("negative"),
        [2.1, 2.0, 3.0, 4.0, 1.1],
    );
    // the same position twice: the later update wins
    close(
        run([2.0, 2.0]).expect("duplicate"),
        [1.0, 2.0, 2.1, 4.0, 5.0],
    );
    out_of_axis(&m, &[data.clone(), vec![5.0, 0.0], updates.clone()], 5.0, 5);
}

#[test]
fn scatter_nd_writes_blocks_at_computed_tuples() {
    // data [4, 4, 4], indices [2, 1] (one component: a block of 16 on axis 0), updates [2, 4, 4]
    let data: Vec<f64> = (0..64).map(|i| (i % 7) as f64 - 3.0).collect();
    let updates: Vec<f64> = (0..32).map(|i| (i % 5) as f64 + 0.5).collect();
    let m = compile(
        "test_scatternd",
        &[data.clone(), vec![0.0, 2.0], updates.clone()],
    );
    let run = |idx: [f64; 2]| {
        quantised_outputs(&m, &[data.clone(), idx.to_vec(), updates.clone()])
            .map_err(|e| e.to_string())
    };
    let want = |blocks: [usize; 2]| -> Vec<f64> {
        let mut out = data.clone();
        for (t, b) in blocks.iter().enumerate() {
            out[b * 16..(b + 1) * 16].copy_from_slice(&updates[t * 16..(t + 1) * 16]);
        }
        out
    };
    let close = |got: Vec<Vec<f64>>, want: Vec<f64>| {
        let err = got[0]
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-2, "{got:?} vs {want:?}");
    };
    close(run([0.0, 2.0]).expect("valid"), want([0, 2]));
    close(run([3.0, 1.0]).expect("other blocks"), want([3, 1]));
    close(run([-1.0, -4.0]).expect("negative"), want([3, 0]));
    // the same block twice: the later update wins
    close(run([1.0, 1.0]).expect("duplicate"), want([1, 1]));
    out_of_axis(&m, &[data.clone(), vec![4.0, 0.0], updates.clone()], 4.0, 4);
}
