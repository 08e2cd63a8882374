//! Circuit settings: everything `configure` needs, plus what a verifier needs to rebuild the public
//! instances (input and output shapes and encodings). This is halo2's `Circuit::Params`: it travels with the
//! verifying key in `settings.json` and is hashed into the model id.
//!
//! The settings are also part of the statement a proof makes: [`Settings::digest`] is a public instance
//! (just before the binding value) that the circuit copies into a lane row whose fixed values force it to
//! equal the digest of the settings the keys were made for. The verifying key commits to those fixed
//! values, so a verifier reading an edited `settings.json` (a lowered output scale, a changed shape)
//! computes another digest and the proof fails, even when the vk header's SHA-256 was recomputed.

use crate::encoding::Encoding;
use crate::Fr;
use halo2_proofs::halo2curves::ff::FromUniformBytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use crate::layout::{LaneGate, LaneKind, LayoutError, LayoutParams, LimbRows};
pub use crate::tables::TableKind;
pub use crate::visibility::{InstanceLayout, TensorInstances, TensorRole, Visibility, WeightsMode};

/// Version of the settings format; bumped on any change that alters the constraint system or instances.
///
/// Version 2: the settings digest is a public instance and a fixed value of the circuit (version 1 had no
/// digest instance), and sub-tables leave out the inputs whose function value saturates.
///
/// Version 3: limb lanes look their limbs up in a one-column range table (version 2 used the shared
/// `(tag, x, y)` table), and their constraint system has degree 5. Layouts without limb lanes describe the
/// same circuit as in version 2, so version 2 settings without `limb_bits` are still read.
pub const SETTINGS_VERSION: u32 = 3;

/// The oldest settings version this build reads (only without limb lanes, see [`SETTINGS_VERSION`]).
pub const OLDEST_SETTINGS_VERSION: u32 = 2;

/// Domain separator of [`Settings::digest`].
pub const SETTINGS_DIGEST_DOMAIN: &[u8] = b"zkinfer-settings/v1";

/// A public input or output tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct IoSpec {
    /// Tensor name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// How its values are stored.
    pub encoding: Encoding,
    /// Who sees its values ([`crate::visibility`]); left out of the JSON when public.
    #[serde(default, skip_serializing_if = "Visibility::is_public")]
    pub visibility: Visibility,
    /// Data or a committed weight tensor ([`TensorRole`]); left out of the JSON for data.
    #[serde(default, skip_serializing_if = "TensorRole::is_data")]
    pub role: TensorRole,
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
    /// Number of public instances: each input's and output's by its visibility (every element when
    /// public, the commitment when hashed, none when private), the settings digest, then the binding value.
    pub fn num_instances(&self) -> usize {
        self.instance_layout().num_instances()
    }

    /// The statement's instances, tensor by tensor ([`InstanceLayout`]).
    pub fn instance_layout(&self) -> InstanceLayout {
        InstanceLayout {
            tensors: self
                .inputs
                .iter()
                .chain(&self.outputs)
                .map(|io| TensorInstances {
                    numel: io.numel(),
                    visibility: io.visibility,
                })
                .collect(),
            inputs: self.inputs.len(),
        }
    }

    /// The inputs the caller gives (every input but the committed weights, which come last).
    pub fn data_inputs(&self) -> &[IoSpec] {
        let n = self
            .inputs
            .iter()
            .position(|i| i.role == TensorRole::Weights)
            .unwrap_or(self.inputs.len());
        &self.inputs[..n]
    }

    /// The committed weight tensors (the last inputs; empty for a model with fixed weights).
    pub fn weight_inputs(&self) -> &[IoSpec] {
        &self.inputs[self.data_inputs().len()..]
    }

    /// Whether the model's weights are committed inputs ([`WeightsMode::Committed`]).
    pub fn has_committed_weights(&self) -> bool {
        !self.weight_inputs().is_empty()
    }

    /// Whether any input or output is hashed (the circuit then has the Poseidon chip).
    pub fn has_commitments(&self) -> bool {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .any(|io| io.visibility == Visibility::Hashed)
    }

    /// Index of the settings-digest instance (just before the binding instance): [`Settings::digest`].
    pub fn digest_instance(&self) -> usize {
        self.num_instances() - 2
    }

    /// The settings digest, a public instance of every proof (see the module documentation).
    ///
    /// `SHA-256(SETTINGS_DIGEST_DOMAIN ‖ serde_json(settings))`, read as a little-endian 256-bit integer and
    /// reduced modulo the BN254 scalar field order r (the same reduction as the market's binding value).
    /// The JSON is `serde_json::to_vec` of the parsed struct (compact, fields in declaration order), so the
    /// whitespace and field order of `settings.json` do not matter, while every field does: the version,
    /// the layout, the tables, the input and output shapes and encodings, the model name and hash.
    pub fn digest(&self) -> Fr {
        let mut h = Sha256::new();
        h.update(SETTINGS_DIGEST_DOMAIN);
        match serde_json::to_vec(self) {
            Ok(json) => h.update(json),
            // unreachable for this struct (string keys, derived serialisers); hashed under another
            // separator so that no serialisable settings share the digest
            Err(e) => h.update(format!("/unserialisable: {e}")),
        }
        let mut wide = [0u8; 64];
        wide[..32].copy_from_slice(&h.finalize());
        Fr::from_uniform_bytes(&wide)
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

    /// Checks the ranges that `configure` relies on (which combinations of lane fields exist is already
    /// settled by the type, [`LayoutParams`]).
    pub fn check(&self) -> Result<(), SettingsError> {
        let l = &self.layout;
        let limbs = l.limb_bits().is_some();
        if !(OLDEST_SETTINGS_VERSION..=SETTINGS_VERSION).contains(&self.version)
            || (self.version < 3 && limbs)
        {
            return Err(SettingsError::Version {
                found: self.version,
                expected: SETTINGS_VERSION,
            });
        }
        if !(4..=27).contains(&self.k) {
            return Err(SettingsError::K { k: self.k });
        }
        if !(2..=24).contains(&l.value_bits()) || l.table_bits() >= self.k {
            return Err(SettingsError::LookupBits {
                lookup_bits: l.value_bits(),
                k: self.k,
            });
        }
        if let Some(limb_bits) = l.limb_bits() {
            let function = self
                .tables
                .iter()
                .find(|t| matches!(t, TableKind::Func { .. }));
            if limb_bits == 0 || function.is_some() {
                return Err(SettingsError::Limbs { limb_bits });
            }
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
        if !(1..=MAX_TILE_POSITIONS).contains(&l.tile_positions) {
            return Err(SettingsError::TilePositions {
                tile_positions: l.tile_positions,
            });
        }
        if l.dot_pairs > 64 {
            return Err(SettingsError::DotPairs {
                dot_pairs: l.dot_pairs,
            });
        }
        let misplaced = self
            .weight_inputs()
            .iter()
            .find(|w| w.role != TensorRole::Weights || w.visibility != Visibility::Hashed)
            .or_else(|| self.outputs.iter().find(|o| o.role == TensorRole::Weights));
        if let Some(w) = misplaced {
            return Err(SettingsError::Weights {
                tensor: w.name.clone(),
            });
        }
        for io in self.inputs.iter().chain(&self.outputs) {
            if io.encoding.bits == 0 || io.encoding.bits > l.value_bits() {
                return Err(SettingsError::TensorBits {
                    tensor: io.name.clone(),
                    bits: io.encoding.bits,
                    lookup_bits: l.value_bits(),
                });
            }
        }
        Ok(())
    }
}

/// Most position lanes a multiply-accumulate tile may have ([`LayoutParams::tile_positions`]).
pub const MAX_TILE_POSITIONS: usize = 16;

/// Why [`Settings::check`] rejects settings.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingsError {
    /// The file was written in another format version.
    #[error(
        "settings format version {found} is not supported (this build reads version {expected}, and \
         version 2 without limb lanes): compile the model again"
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
    /// Limb lanes of zero width, or limb lanes with a function sub-table (limb lanes implement only the
    /// identity, Relu and the max/min steps).
    #[error(
        "limb lanes (limb_bits = {limb_bits}) need limb_bits > 0 and no function tables (only Identity, \
         Relu and the max/min steps)"
    )]
    Limbs {
        /// The limb bits found.
        limb_bits: u32,
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
    /// The tile has no position lanes or more than supported.
    #[error("tile_positions must be in 1..={MAX_TILE_POSITIONS} (found {tile_positions})")]
    TilePositions {
        /// Position lanes found.
        tile_positions: usize,
    },
    /// The dot tile is wider than supported.
    #[error("dot_pairs must be in 0..=64 (found {dot_pairs})")]
    DotPairs {
        /// Dot pairs found.
        dot_pairs: usize,
    },
    /// Committed weights that are not hashed inputs after every data input, or an output marked as weights.
    #[error(
        "tensor '{tensor}': committed weights must be hashed inputs after every data input (and no output \
         is a weight)"
    )]
    Weights {
        /// The tensor's name.
        tensor: String,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            version: SETTINGS_VERSION,
            model_name: "m".into(),
            k: 11,
            layout: LayoutParams {
                tile_inputs: 2,
                tile_outputs: 2,
                tile_positions: 1,
                lanes: 1,
                lane: LaneKind::Affine { value_bits: 10 },
                gate: LaneGate::default(),
                dot_pairs: 0,
                gather: false,
            },
            tables: vec![TableKind::Identity, TableKind::Relu],
            inputs: vec![IoSpec {
                name: "x".into(),
                shape: vec![1, 3],
                encoding: Encoding::signed(6, 10),
                visibility: Visibility::Public,
                role: TensorRole::Data,
            }],
            outputs: vec![IoSpec {
                name: "y".into(),
                shape: vec![1, 2],
                encoding: Encoding::signed(5, 10),
                visibility: Visibility::Public,
                role: TensorRole::Data,
            }],
            model_hash: "ab".repeat(32),
        }
    }

    #[test]
    fn tile_positions_are_checked_and_left_out_of_the_json_when_one() {
        let s = settings();
        let json = serde_json::to_string(&s).expect("json");
        assert!(!json.contains("tile_positions"), "{json}");
        for bad in [0, MAX_TILE_POSITIONS + 1] {
            let mut t = settings();
            t.layout.tile_positions = bad;
            assert_eq!(
                t.check(),
                Err(SettingsError::TilePositions {
                    tile_positions: bad
                })
            );
        }
        let mut four = settings();
        four.layout.tile_positions = 4;
        assert_eq!(four.check(), Ok(()));
        let json = serde_json::to_string(&four).expect("json");
        assert!(json.contains(r#""tile_positions":4"#), "{json}");
        let back: Settings = serde_json::from_str(&json).expect("parses");
        assert_eq!(back.layout.tile_positions, 4);
        assert_ne!(back.digest(), s.digest());
    }

    fn limbs(limb_bits: u32, rows: LimbRows) -> LaneKind {
        LaneKind::Limb { limb_bits, rows }
    }

    #[test]
    fn limb_layouts_are_checked_and_left_out_of_the_json_when_off() {
        let s = settings();
        assert!(s.check().is_ok());
        let json = serde_json::to_string(&s).expect("json");
        assert!(!json.contains("limb"), "{json}");
        let mut limbed = settings();
        limbed.layout.lane = limbs(5, LimbRows::Two);
        assert_eq!(limbed.check(), Ok(()));
        assert_eq!(limbed.layout.table_bits(), 5);
        assert_eq!(limbed.layout.value_bits(), 11);
        let json = serde_json::to_string(&limbed).expect("json");
        assert!(
            json.contains(r#""lookup_bits":11"#) && json.contains(r#""limb_bits":5"#),
            "{json}"
        );
        // no function tables
        let mut func = limbed.clone();
        func.tables.push(TableKind::Func {
            f: crate::tables::FuncKind::Sigmoid,
            x: Encoding::signed(6, 11),
            y: Encoding::signed(8, 11),
        });
        assert_eq!(func.check(), Err(SettingsError::Limbs { limb_bits: 5 }));
        // the table, not the values, must fit below k
        let mut small_k = limbed.clone();
        small_k.k = 6;
        assert_eq!(small_k.check(), Ok(()));
        small_k.k = 5;
        assert!(matches!(
            small_k.check(),
            Err(SettingsError::LookupBits { .. })
        ));
    }

    #[test]
    fn settings_whose_layout_flags_describe_no_layout_do_not_parse() {
        let mut limbed = settings();
        limbed.layout.lane = limbs(5, LimbRows::One);
        let json = serde_json::to_string(&limbed).expect("json");
        let edited = json.replace(r#""lookup_bits":11"#, r#""lookup_bits":10"#);
        let err = serde_json::from_str::<Settings>(&edited).expect_err("refused");
        assert!(
            err.to_string().contains("limb_bits = 5 needs lookup_bits"),
            "{err}"
        );
        let edited = json.replace(r#""limb_bits":5"#, r#""limb_bits":0"#);
        assert!(serde_json::from_str::<Settings>(&edited).is_err());
    }

    #[test]
    fn the_digest_ignores_formatting_and_covers_every_field() {
        let s = settings();
        let pretty = serde_json::to_string_pretty(&s).expect("json");
        let compact = serde_json::to_string(&s).expect("json");
        let spaced = compact.replace(',', " ,\n\t");
        for text in [pretty, compact, spaced] {
            let parsed: Settings = serde_json::from_str(&text).expect("parses");
            assert_eq!(parsed.digest(), s.digest());
        }
        let edits: [fn(&mut Settings); 5] = [
            |s| s.outputs[0].encoding.scale -= 1,
            |s| s.inputs[0].encoding.offset += 1,
            |s| s.model_hash = "cd".repeat(32),
            |s| s.tables.swap(0, 1),
            |s| s.model_name.push('2'),
        ];
        for edit in edits {
            let mut e = s.clone();
            edit(&mut e);
            assert_ne!(e.digest(), s.digest());
        }
    }

    #[test]
    fn the_dot_tile_is_left_out_of_the_json_when_off_and_checked_when_on() {
        let mut s = settings();
        let json = serde_json::to_string(&s).expect("json");
        assert!(!json.contains("dot_pairs"), "{json}");
        s.layout.dot_pairs = 4;
        let json = serde_json::to_string(&s).expect("json");
        assert!(json.contains(r#""dot_pairs":4"#), "{json}");
        let back: Settings = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, s);
        assert_ne!(back.digest(), settings().digest());
        assert_eq!(s.check(), Ok(()));
        s.layout.dot_pairs = 65;
        assert_eq!(s.check(), Err(SettingsError::DotPairs { dot_pairs: 65 }));
    }

    #[test]
    fn instances_end_with_the_digest_then_the_bind_value() {
        let s = settings();
        assert_eq!(s.num_instances(), 3 + 2 + 2);
        assert_eq!(s.digest_instance(), 5);
        assert_eq!(s.bind_instance(), 6);
    }

    #[test]
    fn settings_of_the_previous_format_are_refused_with_a_version_error() {
        let mut s = settings();
        assert_eq!(s.check(), Ok(()));
        s.version = 1;
        assert_eq!(
            s.check(),
            Err(SettingsError::Version {
                found: 1,
                expected: SETTINGS_VERSION
            })
        );
        // version 2 without limb lanes is the same circuit; with them it had another limb lookup
        s.version = 2;
        assert_eq!(s.check(), Ok(()));
        s.layout.lane = limbs(5, LimbRows::Two);
        assert_eq!(
            s.check(),
            Err(SettingsError::Version {
                found: 2,
                expected: SETTINGS_VERSION
            })
        );
        s.version = SETTINGS_VERSION;
        assert_eq!(s.check(), Ok(()));
    }
}
