//! Layout: choosing the circuit's shape (k, tile, lanes, lookup bits) and planning every row.

mod choose;
mod plan;
mod shape;

pub use choose::{check_min_k, choose_layout, usable_rows, LayoutChoice, Target, RESERVED_ROWS};
pub use plan::{DotRow, LaneRow, OpSpan, Plan, Src, TileRow};
pub use shape::ModelShape;
