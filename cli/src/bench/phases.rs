//! Proving split into its main phases, without patching halo2.
//!
//! halo2-axiom's `create_proof` reports no timings (its `profile` feature prints ark-std traces to stdout
//! for every proof, which a CLI cannot turn on per run). Two thin wrappers around what `create_proof`
//! already takes measure it from the outside instead:
//!
//! - [`Timed`] wraps the circuit and times its `synthesize`: assigning the precomputed witness into
//!   halo2's advice columns.
//! - [`Recording`] wraps the Blake2b transcript and timestamps every challenge squeeze and every point or
//!   scalar written to the proof. The PLONK protocol fixes their order (see `create_proof` in
//!   halo2-axiom 0.5.3 `src/plonk/prover.rs`), so the timestamps cut the proof into its rounds:
//!
//! | phase | from | to |
//! |---|---|---|
//! | `synthesis` | `synthesize` start | `synthesize` end |
//! | `advice_commit` | `create_proof` call | challenge θ, less `synthesis` (vk and instance hashing, instance polynomials, batch inversion, advice MSMs) |
//! | `lookup_permuted` | θ | β (per lookup: compress, sort/permute, two MSMs) |
//! | `permutation_product` | γ | last permutation product commitment (grand products and their MSMs) |
//! | `lookup_product` | that | last lookup product commitment |
//! | `vanishing_blind` | that | y (the random blinding polynomial's MSM) |
//! | `quotient` | y | x (advice iFFTs, coset FFTs of every polynomial, evaluating h(X), its commitments) |
//! | `evaluations` | x | first multiopen challenge (every polynomial evaluated at x and its rotations) |
//! | `multiopen` | that | `create_proof` return (SHPLONK: quotient polynomials and two MSMs) |
//!
//! The proof bytes are exactly those of [`zkinfer_prover::CpuBackend`]: the wrappers only delegate and read the
//! clock (a few hundred clock reads per proof).

use halo2_proofs::arithmetic::CurveAffine;
use halo2_proofs::circuit::Layouter;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, Circuit, ConstraintSystem, Error, ProvingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_proofs::transcript::{
    Blake2bWrite, Challenge255, EncodedChallenge, Transcript, TranscriptWrite,
    TranscriptWriterBuffer,
};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkinfer_prover::ProverError;

/// Names of the phases, in proof order, with what each one measures.
pub const PHASES: [(&str, &str); 9] = [
    (
        "synthesis",
        "assigning the witness into halo2's advice columns (Circuit::synthesize)",
    ),
    (
        "advice_commit",
        "vk/instance hashing, batch inversion and the MSMs committing the advice columns",
    ),
    (
        "lookup_permuted",
        "per lookup: compress, permute and commit the permuted input and table",
    ),
    (
        "permutation_product",
        "copy-constraint grand products and their commitments",
    ),
    (
        "lookup_product",
        "lookup grand products and their commitments",
    ),
    (
        "vanishing_blind",
        "commitment to the random blinding polynomial of the vanishing argument",
    ),
    (
        "quotient",
        "advice iFFTs, coset FFTs of all polynomials, evaluating h(X) and committing its pieces",
    ),
    (
        "evaluations",
        "evaluating every polynomial at the challenge x and its rotations",
    ),
    (
        "multiopen",
        "SHPLONK multi-opening: quotient polynomials and the two opening MSMs",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    Squeeze,
    Point,
    Scalar,
}

/// A transcript that delegates to `inner` and timestamps every squeeze and write.
#[derive(Debug)]
pub struct Recording<T> {
    inner: T,
    events: Vec<(Ev, Instant)>,
}

impl<T> Recording<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            events: Vec::with_capacity(512),
        }
    }
}

impl<C: CurveAffine, E: EncodedChallenge<C>, T: Transcript<C, E>> Transcript<C, E>
    for Recording<T>
{
    fn squeeze_challenge(&mut self) -> E {
        let c = self.inner.squeeze_challenge();
        self.events.push((Ev::Squeeze, Instant::now()));
        c
    }
    fn common_point(&mut self, point: C) -> io::Result<()> {
        self.inner.common_point(point)
    }
    fn common_scalar(&mut self, scalar: C::Scalar) -> io::Result<()> {
        self.inner.common_scalar(scalar)
    }
}

impl<C: CurveAffine, E: EncodedChallenge<C>, T: TranscriptWrite<C, E>> TranscriptWrite<C, E>
    for Recording<T>
{
    fn write_point(&mut self, point: C) -> io::Result<()> {
        let r = self.inner.write_point(point);
        self.events.push((Ev::Point, Instant::now()));
        r
    }
    fn write_scalar(&mut self, scalar: C::Scalar) -> io::Result<()> {
        let r = self.inner.write_scalar(scalar);
        self.events.push((Ev::Scalar, Instant::now()));
        r
    }
}

/// A circuit that delegates to `inner` and records how long `synthesize` took.
#[derive(Debug)]
pub struct Timed<C> {
    inner: C,
    took: Arc<Mutex<Duration>>,
}

impl<C: Circuit<Fr>> Circuit<Fr> for Timed<C> {
    type Config = C::Config;
    type FloorPlanner = C::FloorPlanner;
    type Params = C::Params;

    fn without_witnesses(&self) -> Self {
        Self {
            inner: self.inner.without_witnesses(),
            took: self.took.clone(),
        }
    }
    fn params(&self) -> C::Params {
        self.inner.params()
    }
    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, params: C::Params) -> C::Config {
        C::configure_with_params(meta, params)
    }
    fn configure(meta: &mut ConstraintSystem<Fr>) -> C::Config {
        C::configure(meta)
    }
    fn synthesize(&self, config: C::Config, layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let t = Instant::now();
        let r = self.inner.synthesize(config, layouter);
        if let Ok(mut took) = self.took.lock() {
            *took += t.elapsed();
        }
        r
    }
}

/// One instrumented proof: its bytes, the total time, and the phases (None when the transcript did not
/// have the expected shape, e.g. a multi-phase circuit this split does not know).
#[derive(Debug, Clone)]
pub struct PhasedProof {
    pub proof: Vec<u8>,
    pub total: Duration,
    pub phases: Option<Vec<Duration>>,
}

/// Proves like [`zkinfer_prover::CpuBackend`] and splits the time into [`PHASES`].
// the prover's own error type, returned as the backends return it (boxing it is the prover's call)
#[allow(clippy::result_large_err)]
pub fn prove_phased<C: Circuit<Fr>>(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: C,
    instances: &[Fr],
) -> Result<PhasedProof, ProverError> {
    let took = Arc::new(Mutex::new(Duration::ZERO));
    let circuit = Timed {
        inner: circuit,
        took: took.clone(),
    };
    let mut transcript = Recording::new(Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(
        Vec::new(),
    ));
    let start = Instant::now();
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        params,
        pk,
        &[circuit],
        &[&[instances]],
        rand::rngs::OsRng,
        &mut transcript,
    )
    .map_err(ProverError::halo2("proving"))?;
    let end = Instant::now();
    let synthesis = took.lock().map(|d| *d).unwrap_or_default();
    let cs = pk.get_vk().cs();
    let phases = split(
        &transcript.events,
        start,
        end,
        synthesis,
        cs.num_challenges(),
        cs.lookups().len(),
    );
    Ok(PhasedProof {
        proof: transcript.inner.finalize(),
        total: end - start,
        phases,
    })
}

/// Cuts [start, end] at the protocol's squeezes and writes (see the module docs).
fn split(
    events: &[(Ev, Instant)],
    start: Instant,
    end: Instant,
    synthesis: Duration,
    challenges: usize,
    lookups: usize,
) -> Option<Vec<Duration>> {
    let squeezes: Vec<(usize, Instant)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.0 == Ev::Squeeze)
        .map(|(i, e)| (i, e.1))
        .collect();
    // user challenges, then θ, β, γ, y, x, then SHPLONK's three
    if squeezes.len() != challenges + 8 {
        return None;
    }
    let s = &squeezes[challenges..];
    let (theta, beta, gamma, y, x, open) = (s[0].1, s[1].1, s[2].1, s[3].1, s[4].1, s[5].1);
    // writes between γ and y: permutation products, one product per lookup, the blinding commitment
    let points: Vec<Instant> = events[s[2].0 + 1..s[3].0]
        .iter()
        .filter(|e| e.0 == Ev::Point)
        .map(|e| e.1)
        .collect();
    if points.len() < lookups + 2 {
        return None;
    }
    let perm_end = points[points.len() - lookups - 2];
    let lookup_end = points[points.len() - 2];
    let _ = beta; // nothing is computed between β and γ
    Some(vec![
        synthesis,
        (theta - start).saturating_sub(synthesis),
        beta - theta,
        perm_end - gamma,
        lookup_end - perm_end,
        y - lookup_end,
        x - y,
        open - x,
        end - open,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic transcript of a single-phase circuit with 2 permutation chunks and 1 lookup, one event
    /// per millisecond: the phases come out as the gaps between the protocol's squeezes and writes.
    #[test]
    fn split_cuts_at_the_protocol_rounds() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        use Ev::*;
        let script: [(Ev, u64); 17] = [
            (Point, 10),   // advice commitment
            (Squeeze, 12), // θ
            (Point, 20),   // permuted input
            (Point, 25),   // permuted table
            (Squeeze, 26), // β
            (Squeeze, 26), // γ
            (Point, 30),   // permutation product 1
            (Point, 34),   // permutation product 2
            (Point, 40),   // lookup product
            (Point, 41),   // vanishing blind
            (Squeeze, 42), // y
            (Point, 60),   // h pieces
            (Squeeze, 61), // x
            (Scalar, 65),  // evaluations
            (Squeeze, 66), // SHPLONK y
            (Squeeze, 70), // v
            (Squeeze, 75), // u
        ];
        let events: Vec<(Ev, Instant)> = script.iter().map(|&(e, ms)| (e, at(ms))).collect();
        let p = split(&events, t0, at(80), Duration::from_millis(4), 0, 1).expect("split");
        let ms: Vec<u64> = p.iter().map(|d| d.as_millis() as u64).collect();
        assert_eq!(ms, [4, 8, 14, 8, 6, 2, 19, 5, 14]);
        assert_eq!(ms.iter().sum::<u64>(), 80);
        // an unknown shape (a missing squeeze) gives no split rather than a wrong one
        let no_theta: Vec<(Ev, Instant)> = events
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .map(|(_, e)| *e)
            .collect();
        assert!(split(&no_theta, t0, at(80), Duration::ZERO, 0, 1).is_none());
    }
}
