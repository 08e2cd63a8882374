//! The CUDA backend (`cargo test --release -p zkinfer-cli --features cuda --test gpu`); without the `cuda`
//! feature this file has no tests. A proof made on the GPU verifies with the CPU verifier and a flipped byte
//! does not: that test needs a GPU, so it is ignored unless asked for (`-- --include-ignored`, as
//! scripts/gpu-bench.sh runs it on a GPU machine), and then it fails when the GPU is not usable. The tests of
//! the worker's request format and failures run on any machine.

#![cfg(feature = "cuda")]

mod common;

mod cuda {
    use super::common::{compile_and_setup, models};
    use halo2_proofs::halo2curves::ff::Field;
    use std::sync::Arc;
    use zkinfer_circuits::circuit::ModelCircuit;
    use zkinfer_circuits::witness;
    use zkinfer_prover::cuda_backend::CudaBackend;
    use zkinfer_prover::worker::{one_shot_request, serve_one_shot, CpuResident, ResidentProver};
    use zkinfer_prover::ProverError;
    use zkinfer_prover::{backend_for, pipeline, CpuBackend, Device, ModelDir, ProverBackend};
    use zkinfer_verifier::{judge, ProofFile, SrsPolicy, Statement, Verified, VerifierArtifacts};

    /// Held by the tests that run worker processes or write executables: one writing an executable while
    /// another thread forks can make running it fail with "text file busy".
    static SPAWN: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn spawn_lock() -> std::sync::MutexGuard<'static, ()> {
        SPAWN.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn iris() -> (tempfile::TempDir, ModelDir, Vec<Vec<f64>>) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let md = compile_and_setup(&models().join("iris_mlp"), &tmp.path().join("iris"));
        let (settings, _) = md.settings().expect("settings");
        let inputs =
            pipeline::read_input(&models().join("iris_mlp/input.json"), &settings).expect("input");
        (tmp, md, inputs)
    }

    /// Judges `proof` for any input and its own binding value, accepting the development SRS these tests
    /// set up with: what a VALID verdict carries, or the rejection's message.
    fn verify(md: &ModelDir, proof: &ProofFile) -> Result<Verified, String> {
        let art = VerifierArtifacts::load_dir(&md.path).map_err(|e| e.to_string())?;
        let statement = Statement {
            model_id: None,
            inputs: None,
            bind: Some(proof.bind_value("proof.json").map_err(|e| e.to_string())?),
            srs: SrsPolicy::AllowDevelopment,
        };
        judge(&art, proof, &statement).map_err(|r| r.to_string())
    }

    #[test]
    #[ignore = "needs an NVIDIA GPU (scripts/gpu-bench.sh runs it with --include-ignored)"]
    fn gpu_proof_verifies_and_a_flipped_byte_does_not() {
        let _spawn = spawn_lock();
        match backend_for(Device::Cuda) {
            Ok(b) => println!("proving on {b:?}"),
            Err(e) => panic!("the GPU is not usable: {e}"),
        }
        let (_tmp, md, inputs) = iris();
        let p = pipeline::prove(&md, &inputs, Device::Cuda).expect("prove on the GPU");
        assert_eq!(p.backend, "cuda");
        let v = verify(&md, &p.proof);
        assert!(v.is_ok(), "{v:?}");
        assert_eq!(v.expect("VALID").outputs, p.outputs);
        // the same outputs as the CPU prover's
        let cpu = pipeline::prove(&md, &inputs, Device::Cpu).expect("prove on the CPU");
        assert_eq!(cpu.outputs, p.outputs);
        assert_eq!(cpu.proof.instances, p.proof.instances);
        // a flipped proof byte is rejected, wherever it is
        let bytes = p.proof.proof_bytes("p").expect("hex");
        for pos in [0, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            let mut b = bytes.clone();
            b[pos] ^= 1;
            let mut f = p.proof.clone();
            f.proof = hex::encode(&b);
            assert!(verify(&md, &f).is_err(), "flipped byte {pos} accepted");
        }
    }

    /// The CPU prover as the one-shot worker, keeping what the worker rebuilt from its request.
    #[derive(Default)]
    struct Recording {
        settings: Option<zkinfer_circuits::settings::Settings>,
        params: Vec<u8>,
        pk: Vec<u8>,
        circuit: Option<ModelCircuit>,
        instances: Vec<halo2_proofs::halo2curves::bn256::Fr>,
    }

    impl ResidentProver for Recording {
        type Key = <CpuResident as ResidentProver>::Key;

        fn load(
            &mut self,
            settings: &zkinfer_circuits::settings::Settings,
            params: &[u8],
            pk: halo2_proofs::plonk::ProvingKey<halo2_proofs::halo2curves::bn256::G1Affine>,
        ) -> Result<Self::Key, (u8, String)> {
            self.settings = Some(settings.clone());
            self.params = params.to_vec();
            self.pk = pk.to_bytes(halo2_proofs::SerdeFormat::RawBytes);
            CpuResident.load(settings, params, pk)
        }

        fn prove(
            &mut self,
            key: &Self::Key,
            circuit: ModelCircuit,
            instances: &[halo2_proofs::halo2curves::bn256::Fr],
            transcript: zkinfer_verifier::TranscriptKind,
        ) -> Result<Vec<u8>, (u8, String)> {
            self.circuit = Some(circuit.clone());
            self.instances = instances.to_vec();
            CpuResident.prove(key, circuit, instances, transcript)
        }
    }

    /// The CPU half of the CUDA backend, on any machine: the one-shot worker's request rebuilds exactly the
    /// circuit, instances, params and proving key it was made from (proved here on the CPU by the worker's
    /// own request handling, checked by the verifier), and a damaged request is an error, not a panic.
    #[test]
    fn worker_request_rebuilds_the_same_circuit() {
        let (_tmp, md, inputs) = iris();
        let (settings, settings_bytes) = md.settings().expect("settings");
        let model = Arc::new(md.compiled_model(&settings).expect("model"));
        let params = md.params(settings.k).expect("params");
        let pk = md
            .proving_key(&settings, &settings_bytes, &params, &model)
            .expect("pk");
        // bound to a value (the last instance), which the worker must carry over too
        let bind = halo2_proofs::halo2curves::bn256::Fr::from(0x5eed_u64);
        let w = Arc::new(
            witness::generate(&model.quant, &model.plan, &inputs)
                .expect("witness")
                .with_bind(bind),
        );
        let circuit = ModelCircuit::with_witness(settings.clone(), model, w.clone());
        let instances = circuit.instances();
        let request = one_shot_request(
            &params,
            &pk,
            &circuit,
            &instances,
            zkinfer_verifier::TranscriptKind::Blake2b,
        )
        .expect("encode");

        let mut worker = Recording::default();
        let proof = serve_one_shot(&mut worker, &request[..]).expect("prove the rebuilt circuit");
        assert_eq!(worker.settings, Some(settings));
        assert_eq!(worker.instances, instances);
        let rebuilt = worker.circuit.expect("proved");
        assert_eq!(rebuilt.witness.as_deref(), Some(&*w));
        assert_eq!(worker.pk, pk.to_bytes(halo2_proofs::SerdeFormat::RawBytes));
        let mut params_bytes = Vec::new();
        params
            .write_custom(&mut params_bytes, halo2_proofs::SerdeFormat::RawBytes)
            .expect("params");
        assert_eq!(worker.params, params_bytes);
        let mut file = pipeline::prove_bound(&md, &inputs, Device::Cpu, bind)
            .expect("prove")
            .proof;
        file.proof = hex::encode(&proof);
        let v = verify(&md, &file);
        assert!(v.is_ok(), "{v:?}");

        // damaged requests
        let serve = |bytes: &[u8]| serve_one_shot(&mut CpuResident, bytes);
        assert!(serve(&request[..request.len() - 1]).is_err());
        assert!(serve(&request[1..]).is_err());
        let mut other = request.clone();
        other.push(0);
        assert!(serve(&other).is_err());
        // another public input than the instances say
        let mut other = instances.clone();
        other[0] += halo2_proofs::halo2curves::bn256::Fr::ONE;
        let bad = one_shot_request(
            &params,
            &pk,
            &circuit,
            &other,
            zkinfer_verifier::TranscriptKind::Blake2b,
        )
        .expect("encode");
        let (_, e) = serve(&bad).expect_err("mismatched instances");
        assert!(e.contains("instances"), "{e}");
    }

    /// A worker that does not exist, or cannot start, is a Device error naming it.
    #[test]
    fn missing_worker_is_a_device_error() {
        let _spawn = spawn_lock();
        let e = CudaBackend::with_worker("/nonexistent/zkinfer-cuda").expect_err("no worker");
        assert!(
            matches!(e, ProverError::Device { .. } | ProverError::Worker { .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("/nonexistent/zkinfer-cuda"), "{e}");
    }

    /// The backend's handling of its worker, with stand-in workers (shell scripts): a proof that does not
    /// verify is never returned, and every failure is a clear error.
    #[cfg(unix)]
    #[test]
    fn worker_failures_are_clear_errors_and_bad_proofs_are_caught() {
        use std::os::unix::fs::PermissionsExt;
        let (tmp, md, inputs) = iris();
        let (settings, settings_bytes) = md.settings().expect("settings");
        let model = Arc::new(md.compiled_model(&settings).expect("model"));
        let params = md.params(settings.k).expect("params");
        let pk = md
            .proving_key(&settings, &settings_bytes, &params, &model)
            .expect("pk");
        let w = Arc::new(witness::generate(&model.quant, &model.plan, &inputs).expect("witness"));
        let circuit = ModelCircuit::with_witness(settings.clone(), model, w);
        let instances = circuit.instances();

        let _spawn = spawn_lock();
        let worker = |name: &str, probe: &str, prove: &str| {
            let p = tmp.path().join(name);
            std::fs::write(
                &p,
                format!(
                    "#!/bin/sh\ncase \"$1\" in\nprobe) {probe} ;;\nprove) cat >/dev/null; {prove} ;;\nesac\n"
                ),
            )
            .expect("write worker");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            p
        };
        let ok_probe = "echo 'CUDA device 0'";

        // no GPU: the worker's message, and a hint
        let e = CudaBackend::with_worker(worker(
            "nogpu",
            "echo 'zkinfer-cuda: CudaError { code: 100, name: \"cudaErrorNoDevice\" }' >&2; exit 4",
            "exit 0",
        ))
        .expect_err("no GPU");
        let m = e.to_string();
        assert!(
            matches!(e, ProverError::Device { .. } | ProverError::Worker { .. }),
            "{e:?}"
        );
        assert!(
            m.contains("no usable CUDA GPU")
                && m.contains("cudaErrorNoDevice")
                && m.contains("CUDA_VISIBLE_DEVICES"),
            "{m}"
        );

        // a worker that answers with something that is not a valid proof: caught by the CPU check
        let b = CudaBackend::with_worker(worker("garbage", ok_probe, "printf 'not a proof'"))
            .expect("probe");
        assert_eq!(b.device(), "CUDA device 0");
        let e = b
            .prove(&params, &pk, circuit.clone(), &instances)
            .expect_err("garbage proof");
        assert!(
            matches!(e, ProverError::GpuProofRejected { .. })
                && e.to_string().contains("does not verify"),
            "{e}"
        );

        // a valid proof of the same circuit, with bytes appended: caught too
        let mut good = CpuBackend
            .prove(&params, &pk, circuit.clone(), &instances)
            .expect("cpu proof");
        let proof_file = tmp.path().join("proof.bin");
        std::fs::write(&proof_file, &good).expect("write proof");
        let b = CudaBackend::with_worker(worker(
            "replay",
            ok_probe,
            &format!("cat '{}'", proof_file.display()),
        ))
        .expect("probe");
        let replayed = b
            .prove(&params, &pk, circuit.clone(), &instances)
            .expect("a valid proof passes the check");
        assert_eq!(replayed, good);
        good.push(0);
        std::fs::write(&proof_file, &good).expect("write proof");
        let e = b
            .prove(&params, &pk, circuit.clone(), &instances)
            .expect_err("trailing byte");
        assert!(e.to_string().contains("trailing"), "{e}");

        // halo2-axiom-gpu's own error
        let b = CudaBackend::with_worker(worker(
            "fails",
            ok_probe,
            "echo 'zkinfer-cuda: halo2-axiom-gpu create_proof failed: boom' >&2; exit 3",
        ))
        .expect("probe");
        let e = b
            .prove(&params, &pk, circuit.clone(), &instances)
            .expect_err("fails");
        assert!(
            matches!(e, ProverError::GpuProving { .. }) && e.to_string().contains("boom"),
            "{e}"
        );

        // a crash
        let b =
            CudaBackend::with_worker(worker("crash", ok_probe, "kill -ABRT $$")).expect("probe");
        let e = b
            .prove(&params, &pk, circuit, &instances)
            .expect_err("crash");
        assert!(
            matches!(e, ProverError::Device { .. } | ProverError::Worker { .. })
                && e.to_string().contains("signal"),
            "{e}"
        );
    }
}
