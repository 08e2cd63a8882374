//! The bench report: statistics per stage and per proving phase, the circuit's shape, the machine; as
//! JSON (`--json`) and as a markdown table.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Version of the JSON report's format.
pub const REPORT_VERSION: u32 = 1;

/// Order statistics of repeated timings, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub runs: usize,
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// First and third quartiles (linear interpolation); equal to the median for one run.
    pub p25_ms: f64,
    pub p75_ms: f64,
}

impl Stats {
    pub fn of(ds: &[Duration]) -> Self {
        let mut v: Vec<f64> = ds.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| -> f64 {
            if v.is_empty() {
                return 0.0;
            }
            let pos = p * (v.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
        };
        Self {
            runs: v.len(),
            median_ms: q(0.5),
            min_ms: v.first().copied().unwrap_or(0.0),
            max_ms: v.last().copied().unwrap_or(0.0),
            p25_ms: q(0.25),
            p75_ms: q(0.75),
        }
    }
}

/// One stage of the pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageReport {
    pub name: String,
    pub what: String,
    #[serde(flatten)]
    pub time: Stats,
    /// Largest per-run peak RSS of the stage, in bytes (see `memory_method`).
    pub peak_memory_bytes: Option<u64>,
}

/// One phase of proving.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhaseReport {
    pub name: String,
    pub what: String,
    #[serde(flatten)]
    pub time: Stats,
    /// Median of the phase over the median proving time.
    pub share_of_prove: f64,
}

/// The circuit's shape, from the proving key's constraint system.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CircuitReport {
    pub k: u32,
    pub rows_used: usize,
    pub advice_columns: usize,
    /// Fixed columns including the selectors (halo2 turns each selector into a fixed column).
    pub fixed_columns: usize,
    pub selectors: usize,
    pub instance_columns: usize,
    pub lookups: usize,
    /// Columns with equality enabled (each adds a permutation polynomial).
    pub permutation_columns: usize,
    pub degree: usize,
    pub public_values: usize,
    pub lookup_bits: u32,
    pub tile: String,
    pub lanes: usize,
    /// Rows of the Poseidon commitments to hashed inputs and outputs (beside the model's rows, in columns of
    /// their own); 0 when nothing is hashed.
    #[serde(default)]
    pub commitment_rows: usize,
}

/// The machine the bench ran on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_total_bytes: Option<u64>,
    pub os: String,
}

impl Machine {
    pub fn this() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let memory_total_bytes = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
                .map(|kb| kb * 1024)
        });
        Self {
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            cpu_model,
            memory_total_bytes,
            os: std::env::consts::OS.to_string(),
        }
    }
}

/// Calibration accuracy of the compiled circuit against the float model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccuracySummary {
    pub samples: usize,
    pub max_abs_error: f64,
    pub max_abs_output: f64,
}

/// What `zkinfer bench` measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    pub version: u32,
    pub model: String,
    pub input: String,
    pub device: String,
    pub target: String,
    pub repeat: usize,
    pub machine: Machine,
    pub circuit: CircuitReport,
    pub accuracy: AccuracySummary,
    pub proof_bytes: usize,
    pub vk_bytes: usize,
    /// Whether the SRS was the local development one (generated or cached) rather than a given file.
    pub dev_srs: bool,
    pub stages: Vec<StageReport>,
    /// Proving split into phases (CPU only; see `zkinfer_prover::bench::phases`).
    pub prove_phases: Option<Vec<PhaseReport>>,
    /// 60 s over the median of (witness + prove): one proof at a time, keys in memory.
    pub proofs_per_minute: f64,
    /// Largest per-stage peak.
    pub peak_memory_bytes: Option<u64>,
    pub memory_method: String,
    /// Every proof verified.
    pub verified: bool,
}

impl BenchReport {
    pub fn stage(&self, name: &str) -> Option<&StageReport> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// The terminal report: a summary and markdown tables.
    pub fn markdown(&self) -> String {
        let c = &self.circuit;
        let m = &self.machine;
        let mut out = format!(
            "zkinfer bench: {} ({} proof(s) on {}, target {})\n\
             machine: {} CPU(s), {}{}\n\
             circuit: k = {} ({} rows used), {} advice / {} fixed ({} selectors) / {} instance column(s), \
             {} lookup(s), {} equality column(s), degree {}, {} public values, tables 2^{}, MAC tile {}, {} lane(s)\n\
             proof {} bytes, vk {} bytes, calibration error max |circuit - float| = {:.4} (largest output {:.4})\n\
             throughput: {:.1} proofs/min (one at a time, keys in memory: 60 s / median(witness + prove)); all proofs verified: {}\n\n",
            self.model,
            self.repeat,
            self.device,
            self.target,
            m.cpus,
            m.cpu_model,
            m.memory_total_bytes
                .map(|b| format!(", {:.1} GiB RAM", b as f64 / (1u64 << 30) as f64))
                .unwrap_or_default(),
            c.k,
            c.rows_used,
            c.advice_columns,
            c.fixed_columns,
            c.selectors,
            c.instance_columns,
            c.lookups,
            c.permutation_columns,
            c.degree,
            c.public_values,
            c.lookup_bits,
            c.tile,
            c.lanes,
            self.proof_bytes,
            self.vk_bytes,
            self.accuracy.max_abs_error,
            self.accuracy.max_abs_output,
            self.proofs_per_minute,
            if self.verified { "yes" } else { "NO" },
        );
        out.push_str("| stage | runs | median | min | max | peak memory | what |\n|---|---|---|---|---|---|---|\n");
        for s in &self.stages {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                s.name,
                s.time.runs,
                ms(s.time.median_ms),
                ms(s.time.min_ms),
                ms(s.time.max_ms),
                s.peak_memory_bytes.map(mb).unwrap_or_else(|| "-".into()),
                s.what
            ));
        }
        if let Some(phases) = &self.prove_phases {
            out.push_str("\n| prove phase | median | min | max | share | what |\n|---|---|---|---|---|---|\n");
            for p in phases {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {:.1}% | {} |\n",
                    p.name,
                    ms(p.time.median_ms),
                    ms(p.time.min_ms),
                    ms(p.time.max_ms),
                    100.0 * p.share_of_prove,
                    p.what
                ));
            }
        }
        out.push_str(&format!("\npeak memory: {}\n", self.memory_method));
        out
    }
}

fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1e3)
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_known_values() {
        let ds: Vec<Duration> = [4u64, 1, 3, 2, 5]
            .iter()
            .map(|&m| Duration::from_millis(m))
            .collect();
        let s = Stats::of(&ds);
        assert_eq!(s.runs, 5);
        assert!((s.median_ms - 3.0).abs() < 1e-9);
        assert!((s.min_ms - 1.0).abs() < 1e-9 && (s.max_ms - 5.0).abs() < 1e-9);
        assert!((s.p25_ms - 2.0).abs() < 1e-9 && (s.p75_ms - 4.0).abs() < 1e-9);
        let two = Stats::of(&[Duration::from_millis(1), Duration::from_millis(2)]);
        assert!((two.median_ms - 1.5).abs() < 1e-9);
    }
}
