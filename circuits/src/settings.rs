//! Circuit settings: everything `configure` needs, plus what a verifier needs to rebuild the public
//! instances (input and output shapes and encodings). This is halo2's `Circuit::Params`: it travels with the
//! verifying key in `settings.json` and is hashed into the model id.

use crate::encoding::Encoding;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use crate::tables::TableKind;

/// Version of the settings format; bumped on any change that alters the constraint system or instances.
pub const SETTINGS_VERSION: u32 = 1;

/// The layout shape: how wide the circuit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LayoutParams {
    /// Bits of the shared lookup tables: activations and rescale remainders live in `[0, 2^lookup_bits)`.
    pub lookup_bits: u32,
    /// Inputs per row of the multiply-accumulate tile (B).
    pub tile_inputs: usize,
    /// Outputs (running sums) per row of the tile (K); B*K weights per row in fixed columns.
    pub tile_outputs: usize,
    /// Parallel affine/rescale lanes, each with two lookups.
    pub lanes: usize,
    /// The lane gate has a product term `a * b * m_ab` (element-wise products of activations).
    #[serde(default)]
    pub lane_mul: bool,
    /// The lane's activation lookup reads `z - b * m_zb` (max and min: `z = b + step(q)`).
    #[serde(default)]
    pub lane_zadd: bool,
}

/// A public input or output tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct IoSpec {
    /// Tensor name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// How its values are stored.
    pub encoding: Encoding,
}

impl IoSpec {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// The settings of one compiled model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Settings {
    /// Always [`SETTINGS_VERSION`] for files this build writes.
    pub version: u32,
    /// Model name (the ONNX file's stem).
    pub model_name: String,
    /// log2 of the number of rows.
    pub k: u32,
    /// The layout.
    pub layout: LayoutParams,
    /// The sub-tables of the shared lookup table, in tag order.
    pub tables: Vec<TableKind>,
    /// Public inputs, in instance order.
    pub inputs: Vec<IoSpec>,
    /// Public outputs, in instance order after the inputs.
    pub outputs: Vec<IoSpec>,
    /// SHA-256 of the compiled model file, so settings cannot be paired with another model's weights.
    pub model_hash: String,
}

impl Settings {
    /// Number of public instances: every input element, every output element, then the binding value.
    pub fn num_instances(&self) -> usize {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .map(IoSpec::numel)
            .sum::<usize>()
            + 1
    }

    /// Index of the binding instance (the last one): a field element the proof commits to without the
    /// model using it, such as the market's hash of (market, job, provider); 0 when nothing is bound.
    pub fn bind_instance(&self) -> usize {
        self.num_instances() - 1
    }

    /// The tag of a sub-table, if the circuit has it.
    pub fn table_tag(&self, kind: TableKind) -> Option<u64> {
        self.tables
            .iter()
            .position(|t| *t == kind)
            .map(|i| i as u64 + 1)
    }

    /// Checks the fields that `configure` relies on.
    pub fn check(&self) -> Result<(), SettingsError> {
        if self.version != SETTINGS_VERSION {
            return Err(SettingsError::Version {
                found: self.version,
                expected: SETTINGS_VERSION,
            });
        }
        let l = &self.layout;
        if !(4..=27).contains(&self.k) {
            return Err(SettingsError::K { k: self.k });
        }
        if !(2..=24).contains(&l.lookup_bits) || l.lookup_bits >= self.k {
            return Err(SettingsError::LookupBits {
                lookup_bits: l.lookup_bits,
                k: self.k,
            });
        }
        if !(1..=64).contains(&l.tile_inputs)
            || !(1..=64).contains(&l.tile_outputs)
            || !(1..=16).contains(&l.lanes)
        {
            return Err(SettingsError::Shape {
                tile_inputs: l.tile_inputs,
                tile_outputs: l.tile_outputs,
                lanes: l.lanes,
            });
        }
        for io in self.inputs.iter().chain(&self.outputs) {
            if io.encoding.bits == 0 || io.encoding.bits > l.lookup_bits {
                return Err(SettingsError::TensorBits {
                    tensor: io.name.clone(),
                    bits: io.encoding.bits,
                    lookup_bits: l.lookup_bits,
                });
            }
        }
        Ok(())
    }
}

/// Why [`Settings::check`] rejects settings.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingsError {
    /// The file was written in another format version.
    #[error(
        "settings format version {found} is not supported (this build reads version {expected})"
    )]
    Version {
        /// The version found.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// `k` is outside the supported range.
    #[error("k = {k} is outside 4..=27")]
    K {
        /// The `k` found.
        k: u32,
    },
    /// The lookup bits are outside their range or not below `k`.
    #[error("lookup_bits = {lookup_bits} must be in 2..=24 and below k = {k}")]
    LookupBits {
        /// The lookup bits found.
        lookup_bits: u32,
        /// The circuit's `k`.
        k: u32,
    },
    /// The tile or lane count is outside its range.
    #[error(
        "tile_inputs, tile_outputs must be in 1..=64 and lanes in 1..=16 (found {tile_inputs}, \
         {tile_outputs} and {lanes})"
    )]
    Shape {
        /// Tile inputs found.
        tile_inputs: usize,
        /// Tile outputs found.
        tile_outputs: usize,
        /// Lanes found.
        lanes: usize,
    },
    /// A public tensor's encoding is wider than the lookup tables.
    #[error("tensor '{tensor}' has {bits} bits, over the lookup bits ({lookup_bits})")]
    TensorBits {
        /// The tensor's name.
        tensor: String,
        /// Bits of its encoding.
        bits: u32,
        /// The circuit's lookup bits.
        lookup_bits: u32,
    },
}
