//! Bounded loading: the limits every artifact reader checks before it allocates, derived from what is
//! being verified, and the cost of loading a model's verifier, known before anything is loaded.
//!
//! Loading a verifying key makes halo2 build its evaluation domain, whose FFT tables take memory
//! proportional to `2^(k + e)` (`e`, the extension of the quotient's domain, is 2 for zkinfer's degree-5
//! circuits): about `7 * 2^k *` [`MEMORY_BYTES_PER_DOMAIN_POINT`] bytes. A hostile `settings.json`
//! that says `"k": 26` would make a server allocate tens of GB, and `k + e > 28` (the scalar field's
//! two-adicity) panics inside halo2. So before a key is read:
//!
//! - every file's size is checked against a cap ([`MAX_SETTINGS_BYTES`], [`MAX_VK_BYTES`] and the
//!   exact length the settings imply, [`PARAMS_BYTES`], [`ProofFileBounds`] for `proof.json`);
//! - k must be at least [`required_k`] (the rows the settings' lookup tables and public instances take),
//!   at most the caller's [`LoadLimits::max_k`], never above [`HARD_MAX_K`], and `k + e` never above the
//!   field's two-adicity;
//! - the estimated memory ([`load_cost`]) must fit the caller's [`LoadLimits::max_memory_bytes`].
//!
//! The settings alone do not say how many rows the model's layers take (that is in `model.json`, which
//! a verifier does not have), and `zkinfer compile --min-k` may legitimately ask for a larger k than the
//! layers need. So above [`required_k`] the bound is the caller's ceiling: the market, the browser and
//! the Python binding each configure one ([`LoadLimits`]).

use crate::proof_system::Scalar;
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use thiserror::Error;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_circuits::layout::usable_rows;
use zkinfer_circuits::settings::{Settings, TableKind};

/// The largest k any zkinfer verifier loads (the compiler's largest layout, `circuits::layout::MAX_K`).
pub const HARD_MAX_K: u32 = 26;
/// The largest k the browser verifier loads by default: about 2.4 GiB of FFT tables at k = 22 would not
/// fit a 32-bit WASM memory next to everything else, k = 21 takes about 1.2 GiB.
pub const BROWSER_MAX_K: u32 = 21;
/// Largest `settings.json` read (real settings are a few KiB).
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;
/// Largest `vk.bin` read before the settings say its exact length (the widest layout's key is
/// about 160 KiB).
pub const MAX_VK_BYTES: u64 = 1 << 20;
/// The length of a version-2 `verifier_params.bin` (a version-1 file is one byte shorter).
pub const PARAMS_BYTES: u64 = 8 + 4 + 4 + 1 + 32 + 64 + 64;
/// Estimated bytes of memory that loading a verifying key takes per point of each evaluation domain
/// halo2 builds (`2^k`, `2^(k+1)`, ..., `2^(k+e)`: `7 * 2^k` points for zkinfer's degree-5 circuits),
/// for its FFT tables (`tests/limits.rs` checks that the estimate is above the measured peak).
pub const MEMORY_BYTES_PER_DOMAIN_POINT: u64 = 112;
/// Memory a load takes whatever k: the constraint system, the key's points, the parsed files.
pub const MEMORY_BYTES_FIXED: u64 = 16 << 20;

/// The limits a caller puts on what it loads. [`Default`]: k up to [`HARD_MAX_K`], no memory budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadLimits {
    /// The largest k loaded (capped at [`HARD_MAX_K`] whatever is asked).
    pub max_k: u32,
    /// The most memory one load may take ([`LoadCost::memory_bytes`]); `u64::MAX`: no budget.
    pub max_memory_bytes: u64,
}

impl Default for LoadLimits {
    fn default() -> Self {
        Self {
            max_k: HARD_MAX_K,
            max_memory_bytes: u64::MAX,
        }
    }
}

impl LoadLimits {
    /// Limits with this largest k and no memory budget.
    pub fn with_max_k(max_k: u32) -> Self {
        Self {
            max_k,
            ..Self::default()
        }
    }

    /// The browser's limits: k up to [`BROWSER_MAX_K`].
    pub fn browser() -> Self {
        Self::with_max_k(BROWSER_MAX_K)
    }

    /// Limits for a command-line or library verifier on this machine: k up to [`HARD_MAX_K`], and a
    /// memory budget of the memory available now (`MemAvailable`) or half the process's address-space
    /// limit (`ulimit -v`: the rest holds the program, its threads' stacks and its allocator's arenas),
    /// whichever is smaller. On systems without `/proc`, no budget.
    pub fn for_this_process() -> Self {
        Self::default().with_memory_budget(process_memory_budget().unwrap_or(u64::MAX))
    }

    /// The same limits with a memory budget.
    pub fn with_memory_budget(mut self, max_memory_bytes: u64) -> Self {
        self.max_memory_bytes = max_memory_bytes;
        self
    }

    /// The largest k these limits let through (never above [`HARD_MAX_K`]).
    pub fn effective_max_k(&self) -> u32 {
        self.max_k.min(HARD_MAX_K)
    }
}

/// Why an artifact is refused before it is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LimitError {
    /// A file is larger than it may be.
    #[error("{size} bytes, over the limit of {max} bytes for this file")]
    FileTooLarge {
        /// The file's size.
        size: u64,
        /// The most allowed.
        max: u64,
    },
    /// k is above the caller's ceiling (or [`HARD_MAX_K`]).
    #[error("k = {k} is above the largest k this verifier loads ({max})")]
    KTooLarge {
        /// The settings' k.
        k: u32,
        /// The ceiling.
        max: u32,
    },
    /// k is below what the settings' own tables and instances need: the circuit could not hold them.
    #[error("k = {k} is too small for these settings' lookup tables and public instances (they need k >= {min})")]
    KTooSmall {
        /// The settings' k.
        k: u32,
        /// The smallest k that holds the settings' tables and instances.
        min: u32,
    },
    /// halo2's extended domain would exceed the scalar field's two-adicity (halo2 would panic).
    #[error("k = {k} needs an evaluation domain of 2^{extended_k} points, over the field's 2^{two_adicity}")]
    KBeyondField {
        /// The settings' k.
        k: u32,
        /// log2 of the extended domain.
        extended_k: u32,
        /// The field's two-adicity.
        two_adicity: u32,
    },
    /// Loading would take more memory than the caller's budget.
    #[error("loading a k = {k} verifier takes about {bytes} bytes of memory, over the budget of {max} bytes")]
    OverMemoryBudget {
        /// The settings' k.
        k: u32,
        /// Estimated bytes ([`LoadCost::memory_bytes`]).
        bytes: u64,
        /// The caller's budget.
        max: u64,
    },
    /// A proof file holds more JSON values than the settings' inputs and outputs can account for.
    #[error("{values} JSON values, more than the {max} this model's proof file can hold")]
    TooManyValues {
        /// Values counted.
        values: u64,
        /// The most allowed.
        max: u64,
    },
    /// A proof file's proof is longer than any proof of this circuit.
    #[error("the proof is {bytes} bytes, longer than any proof of this circuit ({max} bytes)")]
    ProofTooLong {
        /// The proof's length.
        bytes: u64,
        /// The most a proof of this circuit takes.
        max: u64,
    },
}

/// `min(MemAvailable, memory ceiling / 2)` from Linux's `/proc`, if either is known (see
/// [`process_memory_ceiling`]).
fn process_memory_budget() -> Option<u64> {
    let available = read_proc("/proc/meminfo").and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib.saturating_mul(1024))
    });
    let ceiling = process_memory_ceiling().map(|c| c / 2);
    match (available, ceiling) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The most memory this process may ever have, when something caps it: the smaller of its address-space
/// limit (`ulimit -v`, `prlimit --as`) and its cgroup's `memory.max` (a container's memory limit). A
/// long-running server keeps half of it for what it loads: the rest holds the program, its threads'
/// stacks and its allocator's arenas. `None` on systems without `/proc` or without a cap.
pub fn process_memory_ceiling() -> Option<u64> {
    let address_space = read_proc("/proc/self/limits").and_then(|l| {
        let line = l.lines().find(|l| l.starts_with("Max address space"))?;
        // "Max address space   <soft>   <hard>   bytes"; "unlimited" parses as none
        line["Max address space".len()..]
            .split_whitespace()
            .next()?
            .parse::<u64>()
            .ok()
    });
    // cgroup v2: "0::/path" in /proc/self/cgroup, its limit in /sys/fs/cgroup/path/memory.max ("max": none)
    let cgroup = read_proc("/proc/self/cgroup").and_then(|c| {
        let path = c
            .lines()
            .find_map(|l| l.strip_prefix("0::"))?
            .trim()
            .to_string();
        let max = read_proc(&format!("/sys/fs/cgroup{path}/memory.max"))?;
        max.trim().parse::<u64>().ok()
    });
    match (address_space, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A small text file of Linux's `/proc` or `/sys` (64 KiB at most); `None` elsewhere or when unreadable.
fn read_proc(path: &str) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(64 << 10)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// Checks a file's size against a cap before it is read.
pub fn check_size(size: u64, max: u64) -> Result<(), LimitError> {
    if size > max {
        return Err(LimitError::FileTooLarge { size, max });
    }
    Ok(())
}

/// The parts of the settings' constraint system that size the key, the proof and the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitShape {
    /// The constraint system's degree.
    pub degree: usize,
    /// Fixed commitments of the key (fixed columns plus one per selector).
    pub fixed: usize,
    /// Permutation commitments of the key (columns with equality enabled).
    pub permutation: usize,
    /// Advice columns.
    pub advice: usize,
    /// Lookup arguments.
    pub lookups: usize,
    /// Advice, fixed and instance queries.
    pub queries: usize,
}

impl CircuitShape {
    /// The shape of `settings`' circuit (configures the constraint system; allocates nothing by k).
    pub fn of(settings: &Settings) -> Self {
        let mut cs = ConstraintSystem::<Scalar>::default();
        let _ = ModelCircuit::configure_with_params(&mut cs, settings.clone());
        Self {
            degree: cs.degree(),
            fixed: cs.num_fixed_columns() + cs.num_selectors(),
            permutation: cs.permutation().get_columns().len(),
            advice: cs.num_advice_columns(),
            lookups: cs.lookups().len(),
            queries: cs.advice_queries().len()
                + cs.fixed_queries().len()
                + cs.instance_queries().len(),
        }
    }

    /// log2 of halo2's extended domain for a `2^k`-row circuit (as `EvaluationDomain::new` computes it).
    pub fn extended_k(&self, k: u32) -> u32 {
        let quotient = self.degree.saturating_sub(1).max(1) as u64;
        let mut extended = k;
        while extended < 64 && (1u64 << extended) < (1u64 << k.min(40)).saturating_mul(quotient) {
            extended += 1;
        }
        extended
    }

    /// An upper bound on a proof's bytes (either transcript: points of at most 64 bytes, scalars of 32),
    /// with a margin of 2: commitments to the advice columns, the lookups' permuted columns and products,
    /// the permutation's products, the vanishing argument's pieces and SHPLONK's openings; evaluations of
    /// every query, permutation column and lookup.
    pub fn max_proof_bytes(&self) -> u64 {
        let points = self.advice + 3 * self.lookups + self.permutation + self.degree + 8;
        let scalars = self.queries + 4 * self.permutation + 5 * self.lookups + 2 * self.degree + 16;
        2 * (64 * points as u64 + 32 * scalars as u64)
    }
}

/// The smallest k whose usable rows hold the settings' lookup tables (the function-free sub-tables,
/// which are never trimmed, or the limb range table) and its public instances: a lower bound on the
/// rows the circuit needs, computed without the model.
pub fn required_k(settings: &Settings) -> u32 {
    let l = &settings.layout;
    let bits = l.table_bits().min(40);
    let table_rows: u64 = if l.limb_bits().is_some() {
        1u64 << bits
    } else {
        let full = settings
            .tables
            .iter()
            .filter(|t| !matches!(t, TableKind::Func { .. }))
            .count() as u64;
        1 + full.saturating_mul(1u64 << bits)
    };
    let instances = settings
        .inputs
        .iter()
        .chain(&settings.outputs)
        .map(|io| {
            io.shape
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
                .unwrap_or(u64::MAX)
        })
        .fold(2u64, u64::saturating_add);
    let rows = table_rows.max(instances);
    (1..=40)
        .find(|&k| usable_rows(k) as u64 >= rows)
        .unwrap_or(41)
}

/// What loading a model's verifier costs, known from its settings before anything is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadCost {
    /// The circuit's k.
    pub k: u32,
    /// log2 of halo2's extended evaluation domain.
    pub extended_k: u32,
    /// The exact length of its `vk.bin`.
    pub vk_bytes: u64,
    /// Estimated peak memory of loading the verifier (the key's FFT tables and the rest), in bytes.
    pub memory_bytes: u64,
    /// Bounds on its proof files (their parsing memory: [`ProofFileBounds::memory_bytes`]).
    pub proof: ProofFileBounds,
}

/// The cost of loading `settings`' verifier (allocates nothing by k).
pub fn load_cost(settings: &Settings) -> LoadCost {
    cost_of(settings, &CircuitShape::of(settings))
}

fn cost_of(settings: &Settings, shape: &CircuitShape) -> LoadCost {
    let k = settings.k.min(40);
    let extended_k = shape.extended_k(k);
    // FFT tables for every domain from 2^k to 2^extended_k points: 2^(extended_k+1) - 2^k points
    let points = (2u64 << extended_k.min(61)) - (1u64 << k);
    let memory_bytes = points
        .saturating_mul(MEMORY_BYTES_PER_DOMAIN_POINT)
        .saturating_add(MEMORY_BYTES_FIXED);
    LoadCost {
        k: settings.k,
        extended_k,
        vk_bytes: crate::vk_file::HEADER_BYTES as u64
            + crate::vk_file::VkLayout {
                fixed: shape.fixed,
                permutation: shape.permutation,
            }
            .byte_len() as u64,
        memory_bytes,
        proof: ProofFileBounds::from_shape(settings, shape),
    }
}

/// Checks parsed settings against `limits` before anything is sized by their k: k within
/// [`required_k`] and the caller's ceiling, the extended domain within the field, the memory within
/// the budget. Returns the cost.
pub fn check_settings(settings: &Settings, limits: &LoadLimits) -> Result<LoadCost, LimitError> {
    let k = settings.k;
    let max = limits.effective_max_k();
    if k > max {
        return Err(LimitError::KTooLarge { k, max });
    }
    let min = required_k(settings);
    if k < min {
        return Err(LimitError::KTooSmall { k, min });
    }
    let shape = CircuitShape::of(settings);
    let extended_k = shape.extended_k(k);
    if extended_k > Scalar::S {
        return Err(LimitError::KBeyondField {
            k,
            extended_k,
            two_adicity: Scalar::S,
        });
    }
    let cost = cost_of(settings, &shape);
    if cost.memory_bytes > limits.max_memory_bytes {
        return Err(LimitError::OverMemoryBudget {
            k,
            bytes: cost.memory_bytes,
            max: limits.max_memory_bytes,
        });
    }
    Ok(cost)
}

/// Bounds on one model's `proof.json`, from its settings: the file's bytes, the JSON values in it (each
/// costs a parser about [`PROOF_BYTES_PER_VALUE`] bytes of memory) and the proof's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofFileBounds {
    /// The most bytes of the file (whatever its indentation).
    pub max_file_bytes: u64,
    /// The most JSON values (numbers, strings, arrays, objects) in it.
    pub max_values: u64,
    /// The most bytes of the proof itself.
    pub max_proof_bytes: u64,
}

/// Memory a JSON parser takes per value, a generous estimate (serde_json's `Value` and its vectors).
pub const PROOF_BYTES_PER_VALUE: u64 = 96;
/// Bytes and values of a proof file that do not grow with the model (field names, the model id, ...).
const PROOF_FILE_SLACK: u64 = 64 << 10;

impl ProofFileBounds {
    /// The bounds for proofs of `settings`' circuit.
    pub fn of(settings: &Settings) -> Self {
        Self::from_shape(settings, &CircuitShape::of(settings))
    }

    fn from_shape(settings: &Settings, shape: &CircuitShape) -> Self {
        let mut bytes = PROOF_FILE_SLACK;
        let mut values = 256u64;
        for io in settings.inputs.iter().chain(&settings.outputs) {
            let numel = io
                .shape
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
                .unwrap_or(u64::MAX);
            let rank = io.shape.len() as u64;
            // per element: its integer, its float and its instance, each at most a few dozen characters,
            // and at most (rank + 1) enclosing lists of brackets with indentation of up to 4 spaces a level
            let per_element = 512 + 2 * (rank + 1) * (8 * rank + 16);
            bytes = bytes.saturating_add(numel.saturating_mul(per_element));
            // the integer, the float and the instance, and at most rank + 1 lists around each of the first two
            values = values.saturating_add(numel.saturating_mul(3 + 2 * (rank + 1)));
        }
        let proof = shape.max_proof_bytes();
        // hex with an optional 0x and quotes
        bytes = bytes.saturating_add(2 * proof + 8);
        Self {
            max_file_bytes: bytes,
            max_values: values,
            max_proof_bytes: proof,
        }
    }

    /// Estimated peak memory of parsing a proof file at these bounds.
    pub fn memory_bytes(&self) -> u64 {
        self.max_values
            .saturating_mul(PROOF_BYTES_PER_VALUE)
            .saturating_add(self.max_file_bytes)
    }
}

/// Counts the JSON values in `bytes` without parsing them (commas and opening brackets and braces
/// outside strings, plus one): an upper bound on the values a parser would allocate. Linear time, no
/// allocation.
pub fn count_json_values(bytes: &[u8]) -> u64 {
    let (mut count, mut in_string, mut escaped) = (1u64, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' | b'[' | b'{' => count += 1,
            _ => {}
        }
    }
    count
}
