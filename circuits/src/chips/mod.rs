//! halo2 chips, one per file, each `FooConfig::configure(meta, ..)` + `FooChip::construct(config)`.
//!
//! - [`lookup_table`]: the shared (tag, x, y) lookup table holding every sub-table;
//! - [`mac_tile`]: B inputs x K outputs multiply-accumulate per row, weights in fixed columns;
//! - [`dot_tile`]: P operand pairs per row, exact dot products of two activations (`A @ B`);
//! - [`affine_lane`]: `a*m_a + b*m_b + c = q*2^bits + r` with r range-checked and `(q, z)` looked up in an
//!   activation sub-table: rescale + bias + activation, element-wise constant ops, Add/Sub, input checks;
//! - [`limb_lane`]: the same rescale over two rows, with `q` and `r` of `2t + 1` bits checked as `t`-bit
//!   limbs and a top bit (the sign of Relu and the max/min steps), for models without function tables;
//! - [`range_table`]: the limb lanes' one-column table `[0, 2^t)`;
//! - [`gather`]: elements picked by computed indices, a `(tag, index, value)` lookup against the data.

pub mod affine_lane;
pub mod dot_tile;
pub mod gather;
pub mod limb_lane;
pub mod lookup_table;
pub mod mac_tile;
pub mod poseidon;
pub mod range_table;

pub use affine_lane::{AffineLaneChip, AffineLaneConfig, LaneCells, LaneRowFixed, LaneRowValues};
pub use dot_tile::{DotCells, DotRowFixed, DotTileChip, DotTileConfig};
pub use gather::{GatherChip, GatherConfig, GatherEntryFixed, GatherQueryCells};
pub use limb_lane::{LimbLaneChip, LimbLaneConfig, LimbRowFixed, LimbRowsInLane, LimbValues};
pub use lookup_table::LookupTableConfig;
pub use mac_tile::{MacTileChip, MacTileConfig, TileCells};
pub use range_table::RangeTableConfig;

/// Assigns the nonzero values of fixed columns on `row`, skipping the optional columns a layout does not
/// have (`None`); a fixed cell left unassigned is 0.
pub(crate) fn assign_nonzero_fixed(
    region: &mut halo2_proofs::circuit::Region<'_, crate::Fr>,
    row: usize,
    cells: impl IntoIterator<
        Item = (
            Option<halo2_proofs::plonk::Column<halo2_proofs::plonk::Fixed>>,
            crate::Fr,
        ),
    >,
) {
    for (col, v) in cells {
        if let (Some(col), false) = (col, v == crate::Fr::zero()) {
            region.assign_fixed(col, row, v);
        }
    }
}
