//! Reports in the shape of the kernel's lockdep splats.

use std::fmt::Write;

use super::LockClassKey;
use crate::sync::unmodelled::{AtomicBool, LazyLock, Mutex};

/// Which rule a report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    /// "possible circular locking dependency detected"
    CircularDependency,
    /// "possible recursive locking detected"
    RecursiveLocking,
    /// "sleeping function called from invalid context"
    SleepingWhileAtomic,
    /// "inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage."
    InconsistentSoftirq,
}

/// One report.
#[derive(Clone, Debug)]
pub struct Report {
    pub kind: ReportKind,
    /// The classes the report names.
    pub classes: Vec<&'static str>,
    /// The full text, as the kernel would log it.
    pub text: String,
}

static REPORTS: LazyLock<Mutex<Vec<Report>>> = LazyLock::new(|| Mutex::new(Vec::new()));
pub(super) static PRINT: AtomicBool = AtomicBool::new(false);

fn task_name() -> String {
    let t = std::thread::current();
    format!("{}/{:?}", t.name().unwrap_or("task"), t.id())
}

fn push(kind: ReportKind, classes: Vec<&'static str>, text: String) {
    if PRINT.load(crate::sync::unmodelled::Ordering::Relaxed) {
        eprint!("{text}");
    }
    REPORTS.lock().push(Report { kind, classes, text });
}

pub(super) fn take(pred: impl Fn(&Report) -> bool) -> Vec<Report> {
    let mut all = REPORTS.lock();
    let (taken, kept): (Vec<_>, Vec<_>) = all.drain(..).partition(|r| pred(r));
    *all = kept;
    taken
}

const RULE: &str = "======================================================\n";
const DASH: &str = "------------------------------------------------------\n";

fn held_list(s: &mut String, held: &[&'static str]) {
    let _ = writeln!(
        s,
        "{} lock{} held by {}:",
        held.len(),
        if held.len() == 1 { "" } else { "s" },
        task_name()
    );
    for (i, h) in held.iter().enumerate() {
        let _ = writeln!(s, " #{i}: ({h})");
    }
}

pub(super) fn circular(
    prev: &'static LockClassKey,
    next: &'static LockClassKey,
    chain: &[&'static str],
    held: &[&'static str],
) {
    let mut s = String::new();
    s.push_str(RULE);
    s.push_str("WARNING: possible circular locking dependency detected\n");
    s.push_str(DASH);
    let _ = writeln!(s, "{} is trying to acquire lock:\n ({})\n", task_name(), next.name);
    let _ = writeln!(s, "but task is already holding lock:\n ({})\n", prev.name);
    s.push_str("which lock already depends on the new lock.\n\n");
    s.push_str("the existing dependency chain (in reverse order) is:\n");
    // `chain` runs next →* prev; like the kernel, number it so that #0 is
    // the lock being acquired and the highest number the held one.
    for (i, c) in chain.iter().enumerate().rev() {
        let _ = writeln!(s, "\n-> #{i} ({c}):");
    }
    let _ = writeln!(s, "\nother info that might help us debug this:\n");
    s.push_str(" Possible unsafe locking scenario:\n\n");
    s.push_str("       CPU0                    CPU1\n");
    s.push_str("       ----                    ----\n");
    let _ = writeln!(s, "  lock({});", prev.name);
    let _ = writeln!(s, "                               lock({});", next.name);
    let _ = writeln!(s, "                               lock({});", prev.name);
    let _ = writeln!(s, "  lock({});", next.name);
    s.push_str("\n *** DEADLOCK ***\n\n");
    held_list(&mut s, held);
    let mut classes = vec![prev.name, next.name];
    classes.extend(chain.iter().copied().filter(|c| *c != prev.name && *c != next.name));
    push(ReportKind::CircularDependency, classes, s);
}

pub(super) fn recursive_locking(
    class: &'static LockClassKey,
    prev: &'static LockClassKey,
    held: &[&'static str],
) {
    let mut s = String::new();
    s.push_str(RULE);
    s.push_str("WARNING: possible recursive locking detected\n");
    s.push_str(DASH);
    let _ = writeln!(s, "{} is trying to acquire lock:\n ({})\n", task_name(), class.name);
    let _ = writeln!(s, "but task is already holding lock:\n ({})\n", prev.name);
    s.push_str("other info that might help us debug this:\n");
    s.push_str(" Possible unsafe locking scenario:\n\n       CPU0\n       ----\n");
    let _ = writeln!(s, "  lock({});\n  lock({});\n\n *** DEADLOCK ***\n", class.name, class.name);
    s.push_str(" May be due to missing lock nesting notation\n\n");
    held_list(&mut s, held);
    push(ReportKind::RecursiveLocking, vec![class.name], s);
}

pub(super) fn sleeping_while_atomic(
    what: &'static str,
    in_softirq: bool,
    rcu_depth: u32,
    lock: Option<&'static str>,
    held: &[&'static str],
) {
    let mut s = String::new();
    let _ = writeln!(s, "BUG: sleeping function called from invalid context ({what})");
    let _ = writeln!(
        s,
        "in_atomic(): {}, irqs_disabled(): 0, non_block: 0, pid: {}, name: {}",
        u8::from(lock.is_some() || in_softirq),
        0,
        task_name()
    );
    let _ = writeln!(
        s,
        "preempt_count: {}, expected: 0",
        u32::from(lock.is_some()) + if in_softirq { 0x100 } else { 0 }
    );
    let _ = writeln!(s, "RCU nest depth: {rcu_depth}, expected: 0");
    held_list(&mut s, held);
    let mut classes: Vec<&'static str> = vec![what];
    classes.extend(held.iter().copied().filter(|c| *c != what));
    if let Some(l) = lock.filter(|l| !classes.contains(l)) {
        classes.push(l);
    }
    push(ReportKind::SleepingWhileAtomic, classes, s);
}

pub(super) fn inconsistent_softirq(
    class: &'static LockClassKey,
    now_in_softirq: bool,
    held: &[&'static str],
) {
    let (was, now) = if now_in_softirq {
        ("SOFTIRQ-ON-W", "IN-SOFTIRQ-W")
    } else {
        ("IN-SOFTIRQ-W", "SOFTIRQ-ON-W")
    };
    let mut s = String::new();
    s.push_str("================================\n");
    s.push_str("WARNING: inconsistent lock state\n");
    s.push_str("--------------------------------\n");
    let _ = writeln!(s, "inconsistent {{{was}}} -> {{{now}}} usage.");
    let _ = writeln!(s, "{} takes:\n ({})", task_name(), class.name);
    let _ = writeln!(s, "{{{was}}} state was registered earlier.\n");
    s.push_str("other info that might help us debug this:\n");
    s.push_str(" Possible unsafe locking scenario:\n\n       CPU0\n       ----\n");
    let _ = writeln!(
        s,
        "  lock({});\n  <Interrupt>\n    lock({});\n\n *** DEADLOCK ***\n",
        class.name, class.name
    );
    held_list(&mut s, held);
    push(ReportKind::InconsistentSoftirq, vec![class.name], s);
}
