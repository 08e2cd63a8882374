//! Layout: choosing the circuit's shape (k, tile, lanes, lookup bits) and planning every row.

mod choose;
mod plan;

pub use choose::{choose_layout, usable_rows, LayoutChoice, Target, RESERVED_ROWS};
pub use plan::{LaneRow, OpSpan, Plan, Src, TileRow};
