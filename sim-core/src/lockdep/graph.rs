//! The global class dependency graph (`lock_list` / `check_noncircular`).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt::Write;

use super::{LockClassKey, report};
use crate::sync::unmodelled::{LazyLock, Mutex, Ordering};

#[derive(Default)]
struct State {
    /// Index `id - 1`.
    classes: Vec<&'static LockClassKey>,
    /// Forward edges: `adj[a]` holds every class taken while `a` was held.
    adj: Vec<Vec<u32>>,
    edges: HashMap<(u32, u32), ()>,
}

static GRAPH: LazyLock<Mutex<State>> = LazyLock::new(|| Mutex::new(State::default()));

/// Gives `class` its id (idempotent under races: the lock decides).
pub(super) fn register(class: &'static LockClassKey) -> u32 {
    let mut g = GRAPH.lock();
    let id = class.id.load(Ordering::Acquire);
    if id != 0 {
        return id;
    }
    g.classes.push(class);
    g.adj.push(Vec::new());
    let id = g.classes.len() as u32;
    class.id.store(id, Ordering::Release);
    id
}

/// Commits the edge `prev → next`, reporting a circular dependency first if
/// `next` already (transitively) leads to `prev`.
pub(super) fn add_edge(
    prev: &'static LockClassKey,
    prev_id: u32,
    next: &'static LockClassKey,
    next_id: u32,
    held: &[&'static str],
) {
    let mut g = GRAPH.lock();
    if g.edges.contains_key(&(prev_id, next_id)) {
        return;
    }
    let cycle = path(&g, next_id, prev_id);
    g.edges.insert((prev_id, next_id), ());
    g.adj[(prev_id - 1) as usize].push(next_id);
    let chain: Option<Vec<&'static str>> =
        cycle.map(|p| p.iter().map(|&id| g.classes[(id - 1) as usize].name).collect());
    drop(g);
    export_edge(prev, next);
    if let Some(chain) = chain {
        report::circular(prev, next, &chain, held);
    }
}

/// Where new edges go when `XFRMSIM_LOCKDEP_EDGES` names a file: one
/// `held -> taken` line per edge a process commits, appended, so every test
/// binary of a run adds to one union that the lock-order gate checks.
static EDGE_FILE: LazyLock<Option<std::path::PathBuf>> =
    LazyLock::new(|| std::env::var_os("XFRMSIM_LOCKDEP_EDGES").map(Into::into));

fn export_edge(prev: &LockClassKey, next: &LockClassKey) {
    // Made-up classes and runs with a planted bug stay out of the union.
    if !prev.kernel || !next.kernel || crate::planted::any_planted() {
        return;
    }
    if let Some(path) = EDGE_FILE.as_ref() {
        use std::io::Write;
        let line = format!("{} -> {}\n", prev.name, next.name);
        // One short O_APPEND write per edge: whole lines even when several
        // test processes append at once. Export is best effort.
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// A path `from →* to` in the graph (breadth first), as class ids.
fn path(g: &State, from: u32, to: u32) -> Option<Vec<u32>> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    parent.insert(from, 0);
    while let Some(n) = queue.pop_front() {
        if n == to {
            let mut p = vec![n];
            let mut cur = n;
            while let Some(&par) = parent.get(&cur) {
                if par == 0 {
                    break;
                }
                p.push(par);
                cur = par;
            }
            p.reverse();
            return Some(p);
        }
        for &m in &g.adj[(n - 1) as usize] {
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(m) {
                e.insert(n);
                queue.push_back(m);
            }
        }
    }
    None
}

/// A copy of the observed dependency graph, by class name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// `(held, taken)` pairs, sorted.
    pub edges: BTreeSet<(String, String)>,
}

pub(super) fn snapshot() -> Graph {
    let g = GRAPH.lock();
    let name = |id: u32| g.classes[(id - 1) as usize].name.to_owned();
    Graph { edges: g.edges.keys().map(|&(a, b)| (name(a), name(b))).collect() }
}

impl Graph {
    /// The graph of an edge list in the expected-order format (the file
    /// `XFRMSIM_LOCKDEP_EDGES` collects; duplicate lines collapse).
    pub fn from_text(text: &str) -> Result<Graph, String> {
        super::order::parse_order(text).map(|edges| Graph { edges })
    }

    /// Keeps only edges whose both ends satisfy `keep` (e.g. the project's
    /// own classes, leaving out the ones tests create).
    pub fn filter(&self, keep: impl Fn(&str) -> bool) -> Graph {
        Graph { edges: self.edges.iter().filter(|(a, b)| keep(a) && keep(b)).cloned().collect() }
    }

    /// One `held -> taken` line per edge, sorted: the format of the
    /// expected-order file.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (a, b) in &self.edges {
            let _ = writeln!(s, "{a} -> {b}");
        }
        s
    }

    /// Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let mut s = String::from("digraph lock_order {\n    rankdir=LR;\n    node [shape=box];\n");
        for (a, b) in &self.edges {
            let _ = writeln!(s, "    \"{a}\" -> \"{b}\";");
        }
        s.push_str("}\n");
        s
    }

    /// Every cycle's classes, one list per strongly connected component of
    /// more than one class.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        super::order::cycles(&self.edges)
    }
}
