//! The shared lookup table: three table columns `(tag, x, y)`. Tag 0 holds the single row `(0, 0, 0)` that
//! unused rows look up; tag `i + 1` holds the sub-table `settings.tables[i]` over `x in [0, 2^lookup_bits)`,
//! less the inputs whose function value saturates (leaves the output encoding's range; see
//! [`TableKind::apply_checked`]). The witness generator refuses those inputs, and with no table row for
//! them no lookup can accept them either: a proof shows the model's output, never a clamped version of it.
//! Identity, Relu and the max/min steps never saturate.

use crate::field::fr_from_i128;
use crate::settings::TableKind;
use crate::Fr;
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, TableColumn};

/// Columns of the shared lookup table.
#[derive(Debug, Clone, Copy)]
pub struct LookupTableConfig {
    /// Sub-table tag.
    pub tag: TableColumn,
    /// Stored input.
    pub x: TableColumn,
    /// Stored output.
    pub y: TableColumn,
}

impl LookupTableConfig {
    /// Allocates the three table columns.
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        Self {
            tag: meta.lookup_table_column(),
            x: meta.lookup_table_column(),
            y: meta.lookup_table_column(),
        }
    }

    /// The `(x, y)` entries of a sub-table: every `x in [0, 2^bits)` whose value does not saturate.
    pub fn entries(kind: &TableKind, bits: u32) -> impl Iterator<Item = (u64, i64)> + '_ {
        (0..(1i64 << bits)).filter_map(move |v| match kind.apply_checked(v, bits) {
            (y, false) => Some((v as u64, y)),
            (_, true) => None,
        })
    }

    /// Number of table rows for the given sub-tables (the tag-0 row and every entry).
    pub fn rows(tables: &[TableKind], bits: u32) -> usize {
        1 + tables
            .iter()
            .map(|kind| Self::entries(kind, bits).count())
            .sum::<usize>()
    }

    /// Fills the table.
    pub fn load(
        &self,
        layouter: &mut impl Layouter<Fr>,
        tables: &[TableKind],
        bits: u32,
    ) -> Result<(), Error> {
        layouter.assign_table(
            || "shared lookup table",
            |mut table| {
                let mut row = 0;
                let mut put =
                    |table: &mut halo2_proofs::circuit::Table<'_, Fr>, tag: u64, x: u64, y: i64| {
                        let values = [Fr::from(tag), Fr::from(x), fr_from_i128(y as i128)];
                        for (col, v) in [self.tag, self.x, self.y].into_iter().zip(values) {
                            table.assign_cell(|| "table", col, row, || Value::known(v))?;
                        }
                        row += 1;
                        Ok::<_, Error>(())
                    };
                put(&mut table, 0, 0, 0)?;
                for (i, kind) in tables.iter().enumerate() {
                    for (x, y) in Self::entries(kind, bits) {
                        put(&mut table, i as u64 + 1, x, y)?;
                    }
                }
                Ok(())
            },
        )
    }
}
