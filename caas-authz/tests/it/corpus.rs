//! Cedar's integration tests through the sliced engine: every hand-written
//! test and every generated test of `corpus-tests.tar.gz` (vendored under
//! `tests/data/cedar-integration-tests`, Apache-2.0), each request checked
//! for the expected decision, reasons (deciding policies) and erroring
//! policies. The count of requests checked is printed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use caas_authz::SlicedPolicies;
use cedar_policy::{
    Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicySet, Request, Schema,
};
use serde_json::Value;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cedar-integration-tests")
}

fn uid(v: &Value) -> EntityUid {
    let t = EntityTypeName::from_str(v["type"].as_str().unwrap()).unwrap();
    EntityUid::from_type_name_and_id(t, EntityId::new(v["id"].as_str().unwrap()))
}

/// Runs one test file (paths in it relative to `root`); returns the number
/// of requests checked and the failures.
fn run(root: &Path, file: &Path) -> (usize, Vec<String>) {
    let test: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let read = |key: &str| std::fs::read_to_string(root.join(test[key].as_str().unwrap())).unwrap();
    let policies = PolicySet::from_str(&read("policies")).unwrap();
    let schema = Schema::from_cedarschema_str(&read("schema")).unwrap().0;
    let entities_json = read("entities");
    // Entities conform to the schema except in tests that expect otherwise.
    let entities = Entities::from_json_str(&entities_json, Some(&schema))
        .ok()
        .or_else(|| Entities::from_json_str(&entities_json, None).ok())
        .unwrap();
    let sliced = SlicedPolicies::new(policies);
    let mut failures = Vec::new();
    let requests = test["requests"].as_array().unwrap();
    for r in requests {
        let (p, a, res) = (uid(&r["principal"]), uid(&r["action"]), uid(&r["resource"]));
        let validate = r["validateRequest"].as_bool().unwrap_or(false);
        let context =
            Context::from_json_value(r["context"].clone(), validate.then_some((&schema, &a)))
                .unwrap();
        let request = Request::new(p, a, res, context, validate.then_some(&schema)).unwrap();
        let response = sliced.is_authorized(&request, &entities);
        let decision = match response.decision() {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        };
        let reasons: BTreeSet<String> = response
            .diagnostics()
            .reason()
            .map(ToString::to_string)
            .collect();
        let errors: BTreeSet<String> = response
            .diagnostics()
            .errors()
            .map(|e| match e {
                cedar_policy::AuthorizationError::PolicyEvaluationError(e) => {
                    e.policy_id().to_string()
                }
            })
            .collect();
        let want = |k: &str| -> BTreeSet<String> {
            r[k].as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default()
        };
        let want_decision = r["decision"].as_str().unwrap().to_lowercase();
        if decision != want_decision || reasons != want("reason") || errors != want("errors") {
            failures.push(format!(
                "{}: {}: got {decision} {reasons:?} errors {errors:?}, want {want_decision} {:?} errors {:?}",
                file.display(),
                r["description"],
                want("reason"),
                want("errors")
            ));
        }
    }
    (requests.len(), failures)
}

fn json_tests(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p.to_string_lossy().ends_with(".entities.json")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_hand_written_tests_pass_sliced() {
    let root = data();
    let mut checked = 0;
    let mut failures = Vec::new();
    for group in ["decimal", "example_use_cases", "ip", "multi"] {
        for file in json_tests(&root.join("tests").join(group)) {
            let (n, f) = run(&root, &file);
            checked += n;
            failures.extend(f);
        }
    }
    report(&format!(
        "cedar hand-written tests: {checked} requests checked through the sliced engine"
    ));
    assert!(checked > 50, "only {checked} requests found");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_generated_corpus_passes_sliced() {
    let dir = tempfile_dir();
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(data().join("corpus-tests.tar.gz"))
        .arg("-C")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success(), "cannot unpack the corpus");
    let files = json_tests(&dir.join("corpus-tests"));
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in &files {
        let (n, f) = run(&dir, file);
        checked += n;
        failures.extend(f);
    }
    let _ = std::fs::remove_dir_all(&dir);
    report(&format!(
        "cedar corpus: {} tests, {checked} requests checked through the sliced engine",
        files.len()
    ));
    assert!(
        files.len() > 7000,
        "only {} corpus tests found",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures (first 20):\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "caas-cedar-corpus-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes straight to stderr, past the test harness's capture, so the
/// counts show in CI's log.
fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
