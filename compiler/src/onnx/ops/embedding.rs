//! `Gather` of a constant table by indices computed from the model's input (embedding lookups), as a
//! one-hot product:
//!
//! 1. each index is compared `Equal` with every row number `0..R-1` and with every `r - R` (ONNX allows
//!    negative indices, `-R..R-1` on an axis of `R` rows): a boolean one-hot row of `2R` bits per index
//!    (comparison bits the circuit constrains to {0, 1} and to the comparison's truth). Comparing with
//!    `r - R` rather than wrapping the index to `j + R` keeps the indices' own calibrated range, and so a
//!    scale fine enough to tell neighbouring row numbers apart;
//! 2. one constant-weight `Linear` over each one-hot row picks the table's row (the table, twice, is its
//!    matrix);
//! 3. "exactly one hot": a second `Linear` gives `2s - 1` and `3 - 2s` for the sum `s` of each one-hot
//!    row, and a `Log` table is looked up on both. `ln 1 = 0` is a table row, while the log of a negative
//!    value is not a number, so the lookup table has no row for it (function sub-tables hold only entries
//!    inside the output range; `ln 0` is a row, the output's most negative value, which is why the check
//!    does not test `s` itself): an index outside `-R..R-1` (no hot element, `s = 0`, `2s - 1 = -1`) or a
//!    quantisation so coarse that two row numbers compare equal (`s >= 2`, `3 - 2s < 0`) leaves no valid
//!    witness, so no proof exists for it rather than a silent zero row.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::ConstTensor;
use super::build::gather;
use crate::error::CompileError;
use zkinfer_circuits::graph::{Compare, CompareKind, Func, Linear, Matrix, Op, Position, TensorId};
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

    // 1. one-hot rows: [count, 2R], element (i, r) = [index i == r] and (i, R + r) = [index i == r - R]
    // (a negative index counts from the end)
    let taps = 2 * rows;
    let spread_map = (0..count)
        .flat_map(|i| std::iter::repeat_n(Some(i as u32), taps))
        .collect();
    let spread = gather(
        l,
        n,
        "spread",
        vec![idx],
        vec![count, taps],
        spread_map,
        0.0,
    )?;
    let row_numbers = (0..count)
        .flat_map(|_| (0..taps).map(|t| t as f32 - if t < rows { 0.0 } else { taps as f32 }))
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
    let patch = |i: usize| (i * taps..(i + 1) * taps).map(|t| Some(t as u32)).collect();

    // 3. exactly one hot: ln(2s - 1) and ln(3 - 2s) must both be table rows
    let check = Linear {
        out_shape: vec![count, 2],
        matrices: vec![Matrix {
            outs: 2,
            taps,
            w: [vec![2.0; taps], vec![-2.0; taps]].concat(),
        }],
        positions: (0..count)
            .map(|i| Position {
                patch: patch(i),
                matrix: 0,
                outs: vec![2 * i as u32, 2 * i as u32 + 1],
            })
            .collect(),
        bias: (0..count).flat_map(|_| [-1.0, 3.0]).collect(),
    };
    let sums = l.add(n, "hot_count", Op::Linear(check), vec![one_hot])?;
    l.add(
        n,
        "exactly_one_hot",
        Op::Func(Func { f: FuncKind::Log }),
        vec![sums],
    )?;

    // 2. the table's rows: out[b, i, a] = sum_r one_hot[i, r] * table[b, r, a]
    let outs = before * after;
    let mut w = vec![0f32; outs * taps];
    for b in 0..before {
        for a in 0..after {
            for t in 0..taps {
                let r = t % rows;
                w[(b * after + a) * taps + t] = table.data[(b * rows + r) * after + a] as f32;
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
        matrices: vec![Matrix { outs, taps, w }],
        positions,
        bias: vec![0.0; before * count * after],
    };
    l.emit(n, "Gather", Op::Linear(pick), vec![one_hot])
        .map(|_| ())
}
