//! The limb lanes' range table: one table column holding `[0, 2^t)`. Every limb lookup has a single input
//! expression (the limb cell), so halo2's permuted input and permuted table columns hold values below
//! `2^t`: their commitments are as cheap as a small advice column's. A tuple lookup such as the shared
//! `(tag, x, y)` table compresses its inputs with a random challenge, and both permuted columns then hold
//! full-size field elements (two full multi-scalar multiplications per lookup).

use crate::Fr;
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, TableColumn};

/// The range table's one column.
#[derive(Debug, Clone, Copy)]
pub struct RangeTableConfig {
    /// Holds `0, 1, ..., 2^bits - 1`.
    pub value: TableColumn,
}

impl RangeTableConfig {
    /// Allocates the table column.
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        Self {
            value: meta.lookup_table_column(),
        }
    }

    /// Number of table rows for `bits`-bit limbs.
    pub fn rows(bits: u32) -> usize {
        1 << bits
    }

    /// Fills the table with `[0, 2^bits)`.
    pub fn load(&self, layouter: &mut impl Layouter<Fr>, bits: u32) -> Result<(), Error> {
        layouter.assign_table(
            || "limb range table",
            |mut table| {
                for v in 0..Self::rows(bits) {
                    table.assign_cell(
                        || "range",
                        self.value,
                        v,
                        || Value::known(Fr::from(v as u64)),
                    )?;
                }
                Ok(())
            },
        )
    }
}
