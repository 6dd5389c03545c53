//! The expected lock order: a committed file of `held -> taken` lines that
//! the observed graph is checked against (the CI lock-order gate).
//!
//! Format: one edge per line, `A -> B` (the arrow with a space on each
//! side, since class names such as `&x->lock` contain `->` themselves); `#`
//! starts a comment; blank lines are ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::graph::Graph;

/// Parses an expected-order file. Lines that are not `A -> B` are errors,
/// returned with their line numbers.
pub fn parse_order(text: &str) -> Result<BTreeSet<(String, String)>, String> {
    let mut edges = BTreeSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let Some((a, b)) = line.split_once(" -> ").or_else(|| line.split_once("->")) else {
            return Err(format!("line {}: expected `held -> taken`, found {raw:?}", i + 1));
        };
        let (a, b) = (a.trim(), b.trim());
        if a.is_empty() || b.is_empty() {
            return Err(format!("line {}: empty lock class name in {raw:?}", i + 1));
        }
        edges.insert((a.to_owned(), b.to_owned()));
    }
    Ok(edges)
}

/// The result of comparing an observed graph with the expected order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderCheck {
    /// Observed edges the file does not list.
    pub new_edges: Vec<(String, String)>,
    /// Listed edges this run did not take (informative only).
    pub unseen_edges: Vec<(String, String)>,
    /// Cycles in the observed graph.
    pub cycles: Vec<Vec<String>>,
}

impl OrderCheck {
    /// A new edge or a cycle fails the gate; unseen edges do not.
    pub fn is_ok(&self) -> bool {
        self.new_edges.is_empty() && self.cycles.is_empty()
    }
}

impl fmt::Display for OrderCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            writeln!(f, "lock order: OK")?;
        } else {
            writeln!(f, "lock order: FAILED")?;
        }
        for (a, b) in &self.new_edges {
            writeln!(f, "+ {a} -> {b}    (new edge: not in the expected order)")?;
        }
        for c in &self.cycles {
            writeln!(f, "! cycle: {} -> {}", c.join(" -> "), c[0])?;
        }
        for (a, b) in &self.unseen_edges {
            writeln!(f, "  {a} -> {b}    (expected, not taken in this run)")?;
        }
        Ok(())
    }
}

/// Compares `observed` with the expected-order text.
pub fn check_order(observed: &Graph, expected: &str) -> Result<OrderCheck, String> {
    let expected = parse_order(expected)?;
    Ok(OrderCheck {
        new_edges: observed.edges.difference(&expected).cloned().collect(),
        unseen_edges: expected.difference(&observed.edges).cloned().collect(),
        cycles: cycles(&observed.edges),
    })
}

/// Strongly connected components with more than one class (Tarjan), each
/// sorted, in sorted order.
pub(super) fn cycles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        adj.entry(a).or_default().push(b);
        adj.entry(b).or_default();
    }
    struct T<'a> {
        adj: &'a BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        for &w in &t.adj[v] {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        adj: &adj,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for &v in adj.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out.sort();
    t.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> Graph {
        Graph { edges: edges.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect() }
    }

    #[test]
    fn parses_and_rejects() {
        let e =
            parse_order("# comment\nA -> B\n\n  C->D # trailing\n&x->lock -> xfrm_state_lock\n")
                .unwrap();
        assert_eq!(e.len(), 3);
        assert!(e.contains(&("&x->lock".into(), "xfrm_state_lock".into())));
        assert!(e.contains(&("C".into(), "D".into())));
        assert!(parse_order("A B\n").unwrap_err().contains("line 1"));
        assert!(parse_order("A ->\n").is_err());
    }

    #[test]
    fn flags_a_new_edge_with_a_readable_diff() {
        let observed =
            graph(&[("xfrm_cfg_mutex", "xfrm_state_lock"), ("cb_mutex", "xfrm_policy_lock")]);
        let c = check_order(&observed, "xfrm_cfg_mutex -> xfrm_state_lock\nA -> B\n").unwrap();
        assert!(!c.is_ok());
        assert_eq!(c.new_edges, vec![("cb_mutex".to_string(), "xfrm_policy_lock".to_string())]);
        assert_eq!(c.unseen_edges, vec![("A".to_string(), "B".to_string())]);
        let text = c.to_string();
        assert!(text.contains("+ cb_mutex -> xfrm_policy_lock"), "{text}");
        assert!(text.contains("FAILED"));
    }

    #[test]
    fn listed_edges_pass_and_cycles_fail_even_when_listed() {
        let ok = graph(&[("A", "B"), ("B", "C")]);
        assert!(check_order(&ok, "A -> B\nB -> C\n").unwrap().is_ok());
        let cyc = graph(&[("A", "B"), ("B", "C"), ("C", "A"), ("D", "E")]);
        let c = check_order(&cyc, "A -> B\nB -> C\nC -> A\nD -> E\n").unwrap();
        assert!(!c.is_ok());
        assert_eq!(c.cycles, vec![vec!["A".to_string(), "B".to_string(), "C".to_string()]]);
        assert!(c.to_string().contains("! cycle: A -> B -> C -> A"));
    }
}
