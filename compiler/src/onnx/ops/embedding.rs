//! `Gather` of a constant table by indices computed from the model's input (embedding lookups), as a
//! one-hot product:
//!
//! 1. a negative index `j` (ONNX allows `-R..R-1` on an axis of `R` rows) becomes `j + R`: a sign
//!    comparison and a `Where` between `j` and `j + R`;
//! 2. each index is compared `Equal` with every row number `0..R-1`: a boolean one-hot row per index
//!    (comparison bits the circuit constrains to {0, 1} and to the comparison's truth);
//! 3. one constant-weight `Linear` over each one-hot row picks the table's row (the table is its matrix);
//! 4. "exactly one hot": a second `Linear` gives `s` and `2 - s` for the sum `s` of each one-hot row, and
//!    a `Log` table is looked up on both. `ln 1 = 0` is a table row, while `ln 0` and the log of a negative
//!    value are not finite, so the lookup table has no row for them (function sub-tables hold only
//!    entries inside the output range): an index outside `-R..R-1` (no hot element, `s = 0`) or a
//!    quantisation so coarse that two row numbers compare equal (`s >= 2`, `2 - s <= 0`) leaves no valid
//!    witness, so no proof exists for it rather than a silent zero row.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::ConstTensor;
use super::build::gather;
use crate::error::CompileError;
use zkinfer_circuits::graph::{
    Compare, CompareKind, ConstAffine, Func, Linear, Matrix, Op, Position, TensorId, Where,
};
use zkinfer_circuits::tables::FuncKind;

/// Lowers `Gather(table, indices)` on axis `ax` of the constant `table` with activation indices `idx`.
pub(super) fn lookup(
    l: &mut Lowering,
    n: &NodeInfo,
    table: &ConstTensor,
    idx: TensorId,
    ax: usize,
) -> Result<(), CompileError> {
    let s = &table.shape;
    let rows = s[ax];
    let ishape = l.shape(idx);
    let count: usize = ishape.iter().product();
    if rows == 0 || count == 0 {
        return Err(n.err(format!(
            "an embedding lookup needs a non-empty table and indices (table {s:?}, indices {ishape:?})"
        )));
    }
    let before: usize = s[..ax].iter().product();
    let after: usize = s[ax + 1..].iter().product();
    let mut out_shape = s[..ax].to_vec();
    out_shape.extend(&ishape);
    out_shape.extend(&s[ax + 1..]);

    // 1. negative indices wrap: j < 0 ? j + R : j
    let negative = l.add(
        n,
        "negative",
        Op::Compare(Compare {
            kind: CompareKind::Less,
            rhs: Some(vec![0.0]),
        }),
        vec![idx],
    )?;
    let shifted = l.add(
        n,
        "shifted",
        Op::ConstAffine(ConstAffine {
            mul: vec![1.0],
            add: vec![rows as f32],
        }),
        vec![idx],
    )?;
    let wrapped = l.add(
        n,
        "wrapped",
        Op::Where(Where { x: None, y: None }),
        vec![negative, shifted, idx],
    )?;

    // 2. one-hot rows: [count, R], element (i, r) = [index i == r]
    let flat = vec![count, rows];
    let spread_map = (0..count)
        .flat_map(|i| std::iter::repeat_n(Some(i as u32), rows))
        .collect();
    let spread = gather(l, n, "spread", vec![wrapped], flat, spread_map, 0.0)?;
    let row_numbers = (0..count)
        .flat_map(|_| (0..rows).map(|r| r as f32))
        .collect();
    let one_hot = l.add(
        n,
        "one_hot",
        Op::Compare(Compare {
            kind: CompareKind::Equal,
            rhs: Some(row_numbers),
        }),
        vec![spread],
    )?;
    let patch = |i: usize| (i * rows..(i + 1) * rows).map(|t| Some(t as u32)).collect();

    // 4. exactly one hot: ln(s) and ln(2 - s) must both be table rows
    let check = Linear {
        out_shape: vec![count, 2],
        matrices: vec![Matrix {
            outs: 2,
            taps: rows,
            w: [vec![1.0; rows], vec![-1.0; rows]].concat(),
        }],
        positions: (0..count)
            .map(|i| Position {
                patch: patch(i),
                matrix: 0,
                outs: vec![2 * i as u32, 2 * i as u32 + 1],
            })
            .collect(),
        bias: (0..count).flat_map(|_| [0.0, 2.0]).collect(),
    };
    let sums = l.add(n, "hot_count", Op::Linear(check), vec![one_hot])?;
    l.add(
        n,
        "exactly_one_hot",
        Op::Func(Func { f: FuncKind::Log }),
        vec![sums],
    )?;

    // 3. the table's rows: out[b, i, a] = sum_r one_hot[i, r] * table[b, r, a]
    let outs = before * after;
    let mut w = vec![0f32; outs * rows];
    for b in 0..before {
        for a in 0..after {
            for r in 0..rows {
                w[(b * after + a) * rows + r] = table.data[(b * rows + r) * after + a] as f32;
            }
        }
    }
    let positions = (0..count)
        .map(|i| Position {
            patch: patch(i),
            matrix: 0,
            outs: (0..before)
                .flat_map(|b| (0..after).map(move |a| ((b * count + i) * after + a) as u32))
                .collect(),
        })
        .collect();
    let pick = Linear {
        out_shape,
        matrices: vec![Matrix {
            outs,
            taps: rows,
            w,
        }],
        positions,
        bias: vec![0.0; before * count * after],
    };
    l.emit(n, "Gather", Op::Linear(pick), vec![one_hot])
        .map(|_| ())
}
