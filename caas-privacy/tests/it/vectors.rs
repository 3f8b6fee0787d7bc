//! The transparency-dev RFC 6962 proof vectors (vendored under
//! `tests/data/rfc6962-merkle`, Apache-2.0): the verifier accepts every case
//! with `wantErr: false` and rejects every case with `wantErr: true`.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use caas_privacy::audit::merkle::{verify_consistency, verify_inclusion};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inclusion {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consistency {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn b64(s: &str) -> Vec<u8> {
    B64.decode(s).unwrap()
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc6962-merkle")
}

#[test]
fn inclusion_vectors() {
    let (mut accepted, mut rejected) = (0, 0);
    for path in files(&data().join("inclusion")) {
        let case: Inclusion = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let proof: Vec<Vec<u8>> = case
            .proof
            .unwrap_or_default()
            .iter()
            .map(|p| b64(p))
            .collect();
        let got = verify_inclusion(
            case.leaf_idx,
            case.tree_size,
            &b64(&case.leaf_hash),
            &proof,
            &b64(&case.root),
        );
        assert_eq!(
            got.is_err(),
            case.want_err,
            "{}: {} → {got:?}",
            path.display(),
            case.desc
        );
        if case.want_err {
            rejected += 1;
        } else {
            accepted += 1;
        }
    }
    println!("inclusion vectors: {accepted} accepted, {rejected} rejected as expected");
    assert!(
        accepted >= 5 && rejected >= 50,
        "the vectors were not all found"
    );
}

#[test]
fn consistency_vectors() {
    let (mut accepted, mut rejected) = (0, 0);
    for path in files(&data().join("consistency")) {
        let case: Consistency = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let proof: Vec<Vec<u8>> = case
            .proof
            .unwrap_or_default()
            .iter()
            .map(|p| b64(p))
            .collect();
        let got = verify_consistency(
            case.size1,
            case.size2,
            &proof,
            &b64(&case.root1),
            &b64(&case.root2),
        );
        assert_eq!(
            got.is_err(),
            case.want_err,
            "{}: {} → {got:?}",
            path.display(),
            case.desc
        );
        if case.want_err {
            rejected += 1;
        } else {
            accepted += 1;
        }
    }
    println!("consistency vectors: {accepted} accepted, {rejected} rejected as expected");
    assert!(
        accepted >= 5 && rejected >= 50,
        "the vectors were not all found"
    );
}
