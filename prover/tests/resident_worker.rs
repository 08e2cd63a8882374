//! The resident worker's request loop and key cache (`zkinfer_prover::worker`), run with the CPU prover:
//! one process-like loop serves several proofs of one key sent once, answers bad requests without dying,
//! and asks for a key it does not hold.

mod common;

use common::{compile_and_setup, models};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_circuits::witness;
use zkinfer_prover::worker::ResidentProcess;
use zkinfer_prover::worker::{
    read_frame, serve, write_frame, Answer, CpuResident, KeyCache, WorkerClient,
    STATUS_BAD_REQUEST, STATUS_UNKNOWN_KEY,
};
use zkinfer_prover::{pipeline, CpuBackend, LoadedModel, ProverBackend};
use zkinfer_verifier::proof_system::{check, TranscriptKind};

/// A worker serving on a socket in a thread; returns the client's end and the thread (its request count).
fn start_worker() -> (UnixStream, std::thread::JoinHandle<usize>) {
    let (client, server) = UnixStream::pair().expect("socket pair");
    let worker = std::thread::spawn(move || {
        let mut cache = KeyCache::default();
        let out = server.try_clone().expect("clone");
        let served = serve(&mut CpuResident, &mut cache, &server, &out).expect("serve");
        assert!(cache.digests().len() <= zkinfer_prover::worker::MAX_KEYS);
        served
    });
    (client, worker)
}

fn circuit(m: &LoadedModel, inputs: &[Vec<f64>], bind: u64) -> ModelCircuit {
    let w = witness::generate(&m.model.quant, &m.model.plan, inputs)
        .expect("witness")
        .with_bind(zkinfer_circuits::Fr::from(bind));
    ModelCircuit::with_witness(m.settings.clone(), m.model.clone(), Arc::new(w))
}

#[test]
fn one_key_many_proofs_and_bad_requests_do_not_end_the_worker() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = compile_and_setup(&models().join("iris_mlp"), &tmp.path().join("iris"));
    let m = LoadedModel::load(&md).expect("load");
    let inputs =
        pipeline::read_input(&models().join("iris_mlp/input.json"), &m.settings).expect("input");
    let (sock, worker) = start_worker();
    let mut raw = sock.try_clone().expect("clone");

    // a proof of a key the worker never got: refused with STATUS_UNKNOWN_KEY, and it keeps serving
    let c = circuit(&m, &inputs, 1);
    let inst = c.instances();
    let frame =
        zkinfer_prover::worker::ProveMessage::encode(&[7; 32], &c, &inst, TranscriptKind::Blake2b)
            .expect("encode");
    write_frame(&mut raw, &frame).expect("write");
    let a = Answer::decode(read_frame(&mut raw).expect("read").expect("answer")).expect("decode");
    assert!(
        matches!(a, Answer::Failed { status, .. } if status == STATUS_UNKNOWN_KEY),
        "{a:?}"
    );
    // an unknown frame kind and a key whose digest does not match: bad requests
    write_frame(&mut raw, b"Xjunk").expect("write");
    let a = Answer::decode(read_frame(&mut raw).expect("read").expect("answer")).expect("decode");
    assert!(
        matches!(&a, Answer::Failed { status, .. } if *status == STATUS_BAD_REQUEST),
        "{a:?}"
    );
    let mut forged = vec![b'K'];
    forged.extend_from_slice(&[0u8; 32]);
    forged.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 9]);
    write_frame(&mut raw, &forged).expect("write");
    let a = Answer::decode(read_frame(&mut raw).expect("read").expect("answer")).expect("decode");
    assert!(
        matches!(&a, Answer::Failed { status, message }
            if *status == STATUS_BAD_REQUEST && message.contains("digest")),
        "a forged key: {a:?}"
    );

    // three proofs, both transcripts, one key sent once; each verifies, and matches the CPU backend's
    // instances
    let mut client = WorkerClient::new(sock.try_clone().expect("clone"), sock);
    for (bind, transcript) in [
        (1, TranscriptKind::Blake2b),
        (2, TranscriptKind::Evm),
        (3, TranscriptKind::Blake2b),
    ] {
        let c = circuit(&m, &inputs, bind);
        let inst = c.instances();
        let proof = client
            .prove(&m.params, &m.pk, &c, &inst, transcript)
            .expect("resident proof");
        check(&m.params, m.pk.get_vk(), &inst, &proof, transcript).expect("verifies");
        let mut flipped = proof.clone();
        flipped[proof.len() / 2] ^= 1;
        assert!(check(&m.params, m.pk.get_vk(), &inst, &flipped, transcript).is_err());
    }
    assert_eq!(client.keys_sent, 1, "the key is sent once");
    // the same proof through LoadedModel and the CPU backend has the same size: same circuit and system
    let direct = m
        .prove(&inputs, &CpuBackend, zkinfer_circuits::Fr::from(1))
        .expect("cpu");
    assert!(direct.proof_bytes > 0);
    drop(client);
    drop(raw);
    assert_eq!(worker.join().expect("worker thread"), 7);

    // a worker process that dies: a clear error with what it said, never a hang or a proof
    let dead = ResidentProcess::spawn(
        "cuda",
        std::path::Path::new("/bin/sh"),
        &["-c", "echo 'zkinfer-cuda: no GPU here' >&2; exit 4"],
    )
    .expect("spawn");
    let c = circuit(&m, &inputs, 1);
    let inst = c.instances();
    let e = dead
        .prove_with(&m.params, &m.pk, c, &inst, TranscriptKind::Blake2b)
        .expect_err("a dead worker cannot prove");
    let text = e.to_string();
    assert!(
        text.starts_with("--device cuda: the resident worker /bin/sh"),
        "{text}"
    );
    assert_eq!(dead.keys_sent(), 0);
}
