//! The op table in compiler/README.md is the registry's: this test fails when they differ, and with
//! `ZKINFER_WRITE_OP_TABLE=1` rewrites the table between its markers from `supported_ops()`.

use std::path::Path;

const BEGIN: &str = "<!-- op table: begin (compiler/tests/op_table.rs) -->";
const END: &str = "<!-- op table: end -->";

fn table() -> String {
    let ops = zkinfer_compiler::onnx::ops::supported_ops();
    let mut by_letter: std::collections::BTreeMap<char, Vec<&str>> = Default::default();
    for op in &ops {
        let first = op.chars().next().unwrap_or('?');
        by_letter.entry(first).or_default().push(op);
    }
    let mut s = format!(
        "{} ONNX op types lower from activations (nodes of constants fold through tract, whatever their op):\n\n\
         | | ops |\n|---|---|\n",
        ops.len()
    );
    for (letter, ops) in by_letter {
        let list: Vec<String> = ops.iter().map(|o| format!("`{o}`")).collect();
        s.push_str(&format!("| {letter} | {} |\n", list.join(", ")));
    }
    s
}

#[test]
fn readme_op_table_is_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("compiler/README.md");
    let b = readme
        .find(BEGIN)
        .expect("compiler/README.md has the op table's begin marker");
    let e = readme
        .find(END)
        .expect("compiler/README.md has the op table's end marker");
    let current = &readme[b + BEGIN.len()..e];
    let want = format!("\n{}", table());
    if std::env::var_os("ZKINFER_WRITE_OP_TABLE").is_some() {
        let text = format!("{}{BEGIN}{want}{}", &readme[..b], &readme[e..]);
        std::fs::write(&path, text).expect("write compiler/README.md");
        return;
    }
    assert_eq!(
        current, want,
        "compiler/README.md's op table is stale: rerun with ZKINFER_WRITE_OP_TABLE=1"
    );
}
