//! The degree audit: halo2-axiom clamps the constraint system's degree to 5 and then silently produces
//! proofs that fail verification, so every gate and lookup must be checked *before* clamping.

use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::ConstraintSystem;

/// The highest degree halo2-axiom handles without clamping.
pub const MAX_DEGREE: usize = 5;

/// Degree of every gate polynomial and lookup argument, as `(name, degree)`.
pub fn degrees<F: Field>(cs: &ConstraintSystem<F>) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for gate in cs.gates() {
        for (i, p) in gate.polynomials().iter().enumerate() {
            out.push((format!("gate '{}' constraint {i}", gate.name()), p.degree()));
        }
    }
    for l in cs.lookups() {
        let deg = |es: &Vec<_>| {
            es.iter()
                .map(|e: &halo2_proofs::plonk::Expression<F>| e.degree())
                .max()
                .unwrap_or(1)
                .max(1)
        };
        // halo2's lookup argument: (1 - (l_last + l_blind)) * z * (input + beta) * (table + gamma) terms
        out.push((
            format!("lookup '{}'", l.name()),
            2 + deg(l.input_expressions()) + deg(l.table_expressions()),
        ));
    }
    out
}

/// The gates and lookups whose degree exceeds [`MAX_DEGREE`].
pub fn over_max_degree<F: Field>(cs: &ConstraintSystem<F>) -> Vec<(String, usize)> {
    degrees(cs)
        .into_iter()
        .filter(|(_, d)| *d > MAX_DEGREE)
        .collect()
}
