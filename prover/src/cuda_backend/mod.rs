//! The CUDA proving backend (`--features cuda`): halo2-axiom-gpu's KZG + SHPLONK prover on BN254, run in a
//! worker process, `zkinfer-cuda` (built with the feature, next to `zkinfer`).
//!
//! Why a separate process. halo2-axiom-gpu 1.0.1 needs `libcudart.so.13` and `libcuda.so.1` at load time, and
//! its memory manager (openvm-cuda-common 2.0) selects the GPU from a load-time constructor that aborts the
//! process when no usable GPU is present: a program that links it cannot start on a machine without the
//! NVIDIA driver and a GPU, whatever it was asked to do, and nothing in it can catch that. So this library
//! never links halo2-axiom-gpu. `zkinfer` (also `--device cpu`) and the tests run on any machine, and a
//! missing, unstartable or failing GPU becomes a [`ProverError::Device`] (or [`ProverError::Worker`]) with
//! the worker's own message
//! (the loader's or the CUDA driver's error), never a crash of the caller.
//!
//! The worker binary is `zkinfer-cuda` in the `zkinfer-cli` crate (a binary is built only with its own
//! package, and `zkinfer` looks for the worker next to itself: `cargo build -p zkinfer-cli --features cuda`
//! builds both).
//!
//! Protocol: `zkinfer-cuda probe` exits 0 when a GPU is usable, printing which. `zkinfer-cuda serve` is the
//! resident worker of batches ([`crate::worker`]: many requests in one process, keys kept by digest).
//! `zkinfer-cuda prove` is the same worker serving a single request: it reads the resident worker's key and
//! proof frames for one proof ([`crate::worker::one_shot_request`]) on stdin, serves them as `serve` does
//! ([`crate::worker::serve_one_shot`]), and writes the proof bytes on stdout, or exits with the failure's
//! status ([`crate::worker::STATUS_BAD_REQUEST`] and the others) and its message on stderr. The frames carry
//! the transcript to write the proof with (Blake2b or EVM: halo2-axiom-gpu's `create_proof` is generic over
//! halo2-axiom's `TranscriptWrite`, so both work on the GPU), the settings, the quantised model, the stored
//! inputs, the binding value, the public instances, the KZG params and the proving key; the worker rebuilds
//! the circuit and its witness and checks that it gives exactly these instances.
//!
//! Correct by construction: whatever happens on the GPU, [`CudaBackend::prove`] returns a proof only after
//! halo2-axiom's CPU verifier has accepted it for the proving key's verifying key and these instances.

use crate::backend::ProverBackend;
use crate::error::ProverError;
use crate::worker::{checked_proof, one_shot_request, STATUS_PROVING_FAILED};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_verifier::proof_system::TranscriptKind;

/// File name of the worker binary (plus the platform's executable suffix).
pub const WORKER_NAME: &str = "zkinfer-cuda";
/// Environment variable naming the worker binary explicitly (else it is looked for next to the program).
pub const WORKER_ENV: &str = "ZKINFER_CUDA_WORKER";

/// Proves on an NVIDIA GPU through the `zkinfer-cuda` worker.
#[derive(Debug, Clone)]
pub struct CudaBackend {
    worker: PathBuf,
    device: String,
}

impl CudaBackend {
    /// Finds the worker ([`find_worker`]) and checks that it can use a GPU.
    pub fn open() -> Result<Self, ProverError> {
        Self::with_worker(find_worker()?)
    }

    /// Uses the given worker binary, checking that it can use a GPU.
    pub fn with_worker(worker: impl Into<PathBuf>) -> Result<Self, ProverError> {
        let worker = worker.into();
        let out = run_worker(&worker, "probe", None)?;
        if !out.status.success() {
            return Err(no_gpu(&worker, &failure(&out)));
        }
        let device = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(Self { worker, device })
    }

    /// The GPU the worker reported, e.g. `CUDA device 0`.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The worker binary.
    pub fn worker(&self) -> &Path {
        &self.worker
    }

    /// A resident worker (`zkinfer-cuda serve`, see [`crate::worker`]): one process, one CUDA context, each
    /// proving key sent and loaded once, for many proofs.
    pub fn resident(&self) -> Result<crate::worker::ResidentProcess, ProverError> {
        crate::worker::ResidentProcess::spawn("cuda", &self.worker, &["serve"])
    }
}

impl ProverBackend for CudaBackend {
    fn name(&self) -> &'static str {
        "cuda"
    }

    fn prove_with(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        circuit: ModelCircuit,
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<Vec<u8>, ProverError> {
        let request =
            one_shot_request(params, pk, &circuit, instances, transcript).map_err(|what| {
                ProverError::Device {
                    reason: format!("cannot hand this proof to the GPU worker: {what}"),
                }
            })?;
        let out = run_worker(&self.worker, "prove", Some(&request))?;
        if !out.status.success() {
            return Err(match out.status.code() {
                Some(c) if c == i32::from(STATUS_PROVING_FAILED) => ProverError::GpuProving {
                    message: summarise(&out.stderr),
                },
                _ => {
                    let why = failure(&out);
                    ProverError::Device {
                        reason: format!(
                            "the GPU worker {} failed: {why}{}",
                            self.worker.display(),
                            hint(&why)
                        ),
                    }
                }
            });
        }
        checked_proof(params, pk, instances, out.stdout, transcript)
    }
}

/// The worker binary: `$ZKINFER_CUDA_WORKER`, else `zkinfer-cuda` next to the running program or one folder
/// up (where cargo puts binaries, seen from its test programs in `target/<profile>/deps`).
pub fn find_worker() -> Result<PathBuf, ProverError> {
    if let Some(p) = std::env::var_os(WORKER_ENV) {
        return Ok(PathBuf::from(p));
    }
    let name = format!("{WORKER_NAME}{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().map_err(|e| ProverError::Device {
        reason: format!(
            "cannot locate the GPU worker `{name}` (the running program's path is unknown: {e}); set {WORKER_ENV}"
        ),
    })?;
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|d| d.join(&name))
        .collect();
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        ProverError::Device {
            reason: format!(
                "the GPU worker `{name}` was not found (looked for {}); it is built with \
                 `cargo build --release -p zkinfer-cli --features cuda`, next to `zkinfer`; or set {WORKER_ENV}",
                looked.join(" and ")
            ),
        }
    })
}

fn no_gpu(worker: &Path, why: &str) -> ProverError {
    ProverError::Device {
        reason: format!(
            "no usable CUDA GPU (GPU worker {}): {why}{}",
            worker.display(),
            hint(why)
        ),
    }
}

/// What to do about the usual ways the worker fails to start.
fn hint(why: &str) -> &'static str {
    if why.contains("libcuda.so") {
        " (the NVIDIA driver is not installed)"
    } else if why.contains("libcudart.so") {
        " (the CUDA 13 runtime was not found: install the CUDA 13 toolkit, or put the folder holding \
         libcudart.so.13 on LD_LIBRARY_PATH)"
    } else if why.contains("cudaErrorInsufficientDriver") {
        " (CUDA 13 needs NVIDIA driver 580 or newer)"
    } else if why.contains("cudaErrorNoDevice") {
        " (the driver sees no GPU; check CUDA_VISIBLE_DEVICES)"
    } else {
        ""
    }
}

/// Runs the worker with one command, feeding `input` on stdin.
fn run_worker(worker: &Path, command: &str, input: Option<&[u8]>) -> Result<Output, ProverError> {
    let worker_error = |action: &'static str| {
        move |source: std::io::Error| ProverError::Worker {
            worker: worker.display().to_string(),
            action,
            source,
        }
    };
    let mut child = Command::new(worker)
        .arg(command)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(worker_error("cannot be run"))?;
    let stdin = child.stdin.take();
    std::thread::scope(|s| {
        // Write on a thread while this one drains stdout and stderr: no deadlock on full pipes, and a
        // worker that dies early (a broken pipe here) is reported by its exit status and stderr instead.
        let writer = s.spawn(move || {
            if let (Some(mut stdin), Some(bytes)) = (stdin, input) {
                // Dropping stdin at the end closes it: the worker reads to end of file.
                let _ = stdin.write_all(bytes);
            }
        });
        let out = child
            .wait_with_output()
            .map_err(worker_error("could not be waited for"));
        let _ = writer.join();
        out
    })
}

/// How a worker run failed: its exit status and what it said.
fn failure(out: &Output) -> String {
    let said = summarise(&out.stderr);
    let status = describe(out.status);
    if said.is_empty() {
        status
    } else {
        format!("{said} [{status}]")
    }
}

fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(c) => format!("exit code {c}"),
        // killed by a signal: an abort (a panic in CUDA initialisation before `main`) or a crash
        None => format!("{status}"),
    }
}

/// The informative part of a worker's stderr: the loader's message, or the first panic's (a panic in a
/// load-time constructor is followed by a second one, "panic in a function that cannot unwind"), without
/// backtraces or notes.
fn summarise(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let mut lines: Vec<&str> = Vec::new();
    let mut panics = 0;
    for l in text.lines().map(str::trim) {
        if l.starts_with("stack backtrace:") || l.starts_with("thread caused non-unwinding panic") {
            break;
        }
        if l.starts_with("thread '") && l.contains("panicked at") {
            panics += 1;
            if panics > 1 {
                break;
            }
        }
        if !l.is_empty() && !l.starts_with("note: ") {
            lines.push(l);
        }
    }
    let mut s = lines.join(" / ");
    if s.len() > 1500 {
        let mut end = 1500;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str(" ...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{hint, summarise};

    /// What the worker prints when CUDA initialisation aborts it before `main` (CUDA 13 runtime, no driver).
    const ABORT: &str = "thread '<unnamed>' (5406) panicked at /cargo/openvm-cuda-common-2.0.1/src/memory_manager/vm_pool.rs:165:38:
called `Result::unwrap()` on an `Err` value: CudaError { code: 35, name: \"cudaErrorInsufficientDriver\", message: \"CUDA driver version is insufficient for CUDA runtime version\" }
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

thread '<unnamed>' (5406) panicked at /rustc/library/core/src/panicking.rs:225:5:
panic in a function that cannot unwind
stack backtrace:
   0:     0x55e10ed055fa - <std::sys::backtrace::BacktraceLock>::print
thread caused non-unwinding panic. aborting.
";

    #[test]
    fn summary_keeps_the_first_panic_without_notes_or_backtraces() {
        let s = summarise(ABORT.as_bytes());
        assert_eq!(
            s,
            "thread '<unnamed>' (5406) panicked at /cargo/openvm-cuda-common-2.0.1/src/memory_manager/vm_pool.rs:165:38: / called `Result::unwrap()` on an `Err` value: CudaError { code: 35, name: \"cudaErrorInsufficientDriver\", message: \"CUDA driver version is insufficient for CUDA runtime version\" }"
        );
        assert!(hint(&s).contains("driver 580"));
        let with_backtrace = ABORT.replace(
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
            "stack backtrace:\n   0: __rustc::rust_begin_unwind",
        );
        assert_eq!(summarise(with_backtrace.as_bytes()), s);
    }

    #[test]
    fn loader_errors_get_a_hint() {
        let s = summarise(b"./zkinfer-cuda: error while loading shared libraries: libcuda.so.1: cannot open shared object file: No such file or directory\n");
        assert!(s.starts_with("./zkinfer-cuda: error while loading"), "{s}");
        assert!(hint(&s).contains("driver is not installed"));
        assert!(hint("libcudart.so.13: cannot open shared object file").contains("LD_LIBRARY_PATH"));
        assert_eq!(summarise(&[b'x'; 4000]).len(), 1504);
    }
}
