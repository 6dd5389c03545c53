//! Every lab under `docs/labs/`: its scenario runs to the end (all its
//! `expect` lines hold) and prints exactly its `.out` file.

use std::path::PathBuf;

use xfrmsim::run::run_scenario;

#[test]
fn every_lab_prints_its_expected_output() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/labs");
    let mut labs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .collect();
    labs.sort();
    assert!(!labs.is_empty());
    for scn in labs {
        let text = std::fs::read_to_string(&scn).unwrap();
        let r = run_scenario(&text, &scn.display().to_string(), 0);
        assert_eq!(r.code, 0, "{}: {}", scn.display(), r.err);
        if let Some(why) = r.skipped {
            // A lab whose front end is not registered in this tree.
            println!("{why}");
            continue;
        }
        let want = std::fs::read_to_string(scn.with_extension("out")).unwrap();
        assert_eq!(r.out, want, "{}: output differs from its .out file", scn.display());
        assert!(scn.with_extension("md").exists(), "{}: no page", scn.display());
    }
}
