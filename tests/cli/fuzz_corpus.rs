//! Every committed fuzz input (tests/fuzz/corpus/TARGET/, grown by `bash tests/fuzz/run`)
//! replayed through its target on the stable toolchain, so what the fuzzers found stays
//! checked by the normal suite.

#[path = "../fuzz/targets.rs"]
mod targets;

#[test]
fn fuzz_corpora_replay_without_a_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus");
    for (name, target) in targets::TARGETS {
        let mut files: Vec<_> = std::fs::read_dir(root.join(name))
            .unwrap_or_else(|e| panic!("corpus of {name}: {e}"))
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "the {name} corpus is empty");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} panicked", file.display());
        }
    }
}
