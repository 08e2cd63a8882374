//! Layout: choosing the circuit's shape (k, tile, lanes, lookup bits) and planning every row.

mod choose;
mod params;
mod plan;
mod shape;

pub use choose::{
    check_min_k, choose_layout, usable_rows, LayoutChoice, Target, MAX_K, RESERVED_ROWS,
};
pub use params::{LaneGate, LaneKind, LayoutError, LayoutFile, LayoutParams, LimbRows};
pub use plan::{
    DotRow, GatherEntry, GatherQuery, GatherValue, LaneRow, OpSpan, Plan, Src, TileRow,
};
pub use shape::ModelShape;
