//! A resident worker in a child process (`zkinfer-cuda serve`) as a [`ProverBackend`]: started once, fed
//! every proof of a batch, each key sent once. Every proof it returns has passed the CPU verifier's check.

use super::client::WorkerClient;
use crate::backend::ProverBackend;
use crate::error::ProverError;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use std::io::Read;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_verifier::proof_system::TranscriptKind;

/// A worker process serving proofs until dropped.
#[derive(Debug)]
pub struct ResidentProcess {
    name: &'static str,
    worker: String,
    child: Mutex<Option<Child>>,
    client: Mutex<Option<WorkerClient<ChildStdout, ChildStdin>>>,
    /// the end of the worker's stderr, for errors
    stderr: Arc<Mutex<String>>,
}

impl ResidentProcess {
    /// Starts `worker args...` (e.g. `zkinfer-cuda serve`); `name` is the backend's name in reports.
    pub fn spawn(name: &'static str, worker: &Path, args: &[&str]) -> Result<Self, ProverError> {
        let shown = worker.display().to_string();
        let mut child = Command::new(worker)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| ProverError::Worker {
                worker: shown.clone(),
                action: "cannot be run",
                source,
            })?;
        let (Some(stdin), Some(stdout), Some(mut err)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ProverError::Device {
                reason: format!("the worker {shown} has no pipes"),
            });
        };
        let stderr = Arc::new(Mutex::new(String::new()));
        let tail = stderr.clone();
        // drain stderr so that the worker never blocks on it; keep its last 4 kB
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                t.push_str(&String::from_utf8_lossy(&buf[..n]));
                if t.len() > 4096 {
                    let mut cut = t.len() - 4096;
                    while !t.is_char_boundary(cut) {
                        cut += 1;
                    }
                    t.drain(..cut);
                }
            }
        });
        Ok(Self {
            name,
            worker: shown,
            child: Mutex::new(Some(child)),
            client: Mutex::new(Some(WorkerClient::new(stdout, stdin))),
            stderr,
        })
    }

    /// Keys sent to the worker so far.
    pub fn keys_sent(&self) -> usize {
        self.client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |c| c.keys_sent)
    }
}

impl ProverBackend for ResidentProcess {
    fn name(&self) -> &'static str {
        self.name
    }

    fn prove_with(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        circuit: ModelCircuit,
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<Vec<u8>, ProverError> {
        let proved = match self
            .client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            Some(c) => c.prove(params, pk, &circuit, instances, transcript),
            None => Err(ProverError::Device {
                reason: format!("the resident worker {} was closed", self.worker),
            }),
        };
        let proof = proved.map_err(|e| match e {
            ProverError::Worker { action, source, .. } => {
                let said = self
                    .stderr
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                ProverError::Device {
                    reason: format!(
                        "the resident worker {} {action} ({source}); it said: {}",
                        self.worker,
                        said.trim()
                    ),
                }
            }
            other => other,
        })?;
        super::checked_proof(params, pk, instances, proof, transcript)
    }
}

impl Drop for ResidentProcess {
    fn drop(&mut self) {
        // closing its input ends the worker's loop; then reap it
        if let Ok(c) = self.client.get_mut() {
            c.take();
        }
        if let Some(mut child) = self.child.get_mut().ok().and_then(Option::take) {
            let _ = child.wait();
        }
    }
}
