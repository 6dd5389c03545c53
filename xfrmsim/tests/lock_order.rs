//! The lock-order gate. Every lab scenario under `docs/labs/` and a tour
//! of the commands run with the lock validator on; the union of the
//! observed `held -> taken` edges among the kernel's lock classes must be
//! listed in `docs/lock-order.txt` and contain no cycle. A new edge fails
//! with a readable diff; accepting it is a deliberate change of the file,
//! made with `XFRMSIM_BLESS_LOCK_ORDER=1 cargo test -p xfrmsim --test
//! lock_order` and reviewed like code (`docs/lock-order.dot` is rewritten
//! from it).

use std::collections::BTreeSet;
use std::path::PathBuf;

use sim_core::lockdep::{self, Graph, check_order, parse_order};
use xfrmsim::run::run_scenario;

fn docs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// The kernel's lock classes: everything but the classes benchmarks and
/// tests make for themselves.
fn kernel_class(name: &str) -> bool {
    !name.starts_with("bench") && !name.starts_with("test")
}

/// The commands of the tour: both front ends, namespaces, an unprivileged
/// user, and the timers of a larval state.
const TOUR: &str = "\
ip xfrm policy add src 10.0.0.0/24 dst 10.0.1.0/24 dir out tmpl src 1.1.1.1 dst 2.2.2.2 proto esp mode tunnel
ip xfrm policy list
ip xfrm policy count
ip xfrm state allocspi src 1.1.1.1 dst 2.2.2.2 proto esp min 0x100 max 0x200
ip xfrm state list
advance 31
ip xfrm state count
ip xfrm policy deleteall
ip xfrm state flush
ip xfrm policy flush
netns add blue
in blue ip xfrm policy add dir in
in blue ip xfrm policy list
netns del blue
user 1000
ip xfrm policy list
user root
setkey -D
setkey -DP
setkey add 1.1.1.1 2.2.2.2 esp 0x100 -E null;
setkey spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/transport//require;
setkey -F
";

fn observed() -> Graph {
    lockdep::set_enabled(true);
    let mut scenarios = vec![("tour".to_string(), TOUR.to_string())];
    if let Ok(dir) = std::fs::read_dir(docs().join("labs")) {
        let mut files: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files.into_iter().filter(|f| f.extension().is_some_and(|x| x == "scn")) {
            let text = std::fs::read_to_string(&f).unwrap();
            // A lab that plants a bug breaks the order on purpose.
            if text.lines().any(|l| l.trim_start().starts_with("bug ")) {
                continue;
            }
            scenarios.push((f.display().to_string(), text));
        }
    }
    for (name, text) in &scenarios {
        let r = run_scenario(text, name, 0);
        assert!(r.code != 2, "{name}: {}", r.err);
    }
    lockdep::dependency_graph().filter(kernel_class)
}

#[test]
fn observed_lock_order_is_the_committed_one() {
    let g = observed();
    let path = docs().join("lock-order.txt");
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("XFRMSIM_BLESS_LOCK_ORDER").is_some() {
        let mut edges: BTreeSet<(String, String)> = parse_order(&expected).unwrap();
        edges.extend(g.edges.iter().cloned());
        let all = Graph { edges };
        assert!(all.cycles().is_empty(), "refusing to bless a cycle: {:?}", all.cycles());
        let header = "# The kernel's lock order as the simulation takes it: `held -> taken`.\n\
                      # Checked by xfrmsim/tests/lock_order.rs; change only by a reviewed bless.\n";
        std::fs::write(&path, format!("{header}{}", all.to_text())).unwrap();
        std::fs::write(docs().join("lock-order.dot"), all.to_dot()).unwrap();
        return;
    }
    let check = check_order(&g, &expected).unwrap();
    assert!(
        check.is_ok(),
        "{check}\nIf the new order is intended, review it and rerun with XFRMSIM_BLESS_LOCK_ORDER=1."
    );
    lockdep::assert_no_reports();
}

#[test]
fn dot_file_renders_the_text_file() {
    let text = std::fs::read_to_string(docs().join("lock-order.txt")).unwrap();
    let dot = std::fs::read_to_string(docs().join("lock-order.dot")).unwrap();
    let g = Graph { edges: parse_order(&text).unwrap() };
    assert!(g.cycles().is_empty(), "the committed order has a cycle: {:?}", g.cycles());
    assert_eq!(dot, g.to_dot(), "docs/lock-order.dot is stale: bless again");
}

#[test]
fn a_new_edge_fails_with_a_readable_diff() {
    let committed = std::fs::read_to_string(docs().join("lock-order.txt")).unwrap();
    let mut edges = parse_order(&committed).unwrap();
    edges.insert(("xfrm_state_lock".into(), "xfrm_cfg_mutex".into()));
    let check = check_order(&Graph { edges }, &committed).unwrap();
    assert!(!check.is_ok());
    let text = check.to_string();
    assert!(text.contains("+ xfrm_state_lock -> xfrm_cfg_mutex    (new edge"), "{text}");
    assert!(text.contains("! cycle:"), "{text}");
}
