//! `--trace`: the kernel path each request takes, as the nested kernel
//! functions it passes through (the `tracing` spans the kernel crates open,
//! named after the Linux functions) and the lock classes taken inside each
//! (the lock validator's `lockdep` events).

use std::fmt::Write;

use sim_core::sync::atomic::{AtomicU64, Ordering};
use sim_core::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Collects the trace of one run as indented text.
#[derive(Clone, Default)]
pub struct Tracer {
    inner: Arc<TracerInner>,
}

#[derive(Default)]
struct TracerInner {
    next: AtomicU64,
    names: Mutex<Vec<&'static str>>,
    depth: Mutex<usize>,
    text: Mutex<String>,
}

struct ClassVisitor(Option<String>);

impl Visit for ClassVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "class" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "class" {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

impl Tracer {
    /// A tracer with nothing recorded.
    pub fn new() -> Tracer {
        Tracer::default()
    }

    /// Takes the text recorded so far.
    pub fn take(&self) -> String {
        std::mem::take(&mut *self.inner.text.lock())
    }

    /// Runs `f` with this tracer as the current thread's subscriber.
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::subscriber::with_default(self.clone(), f)
    }

    fn line(&self, s: &str) {
        let depth = *self.inner.depth.lock();
        let mut t = self.inner.text.lock();
        let _ = writeln!(t, "{}{s}", "  ".repeat(depth));
    }
}

impl Subscriber for Tracer {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut names = self.inner.names.lock();
        names.push(span.metadata().name());
        let n = self.inner.next.fetch_add(1, Ordering::Relaxed);
        Id::from_u64(n + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if event.metadata().target() == "lockdep" {
            let mut v = ClassVisitor(None);
            event.record(&mut v);
            if let Some(c) = v.0 {
                self.line(&format!("lock {c}"));
            }
        }
    }

    fn enter(&self, span: &Id) {
        let name = {
            let names = self.inner.names.lock();
            names.get((span.into_u64() - 1) as usize).copied().unwrap_or("?")
        };
        self.line(name);
        *self.inner.depth.lock() += 1;
    }

    fn exit(&self, _: &Id) {
        let mut d = self.inner.depth.lock();
        *d = d.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_shows_netlink_functions_and_locks() {
        let t = Tracer::new();
        let sim = crate::sim::boot(0);
        t.run(|| {
            let mut link = sim.xfrm_link(None).unwrap();
            // Answered or refused, the request takes the same way in.
            let _ = crate::ip::run_ip(
                &mut link,
                &["xfrm".into(), "policy".into(), "count".into()],
                &|_| None,
            );
        });
        let text = t.take();
        assert!(text.contains("netlink_sendmsg\n"), "{text}");
        assert!(text.contains("  netlink_unicast\n"), "{text}");
        assert!(text.contains("lock "), "{text}");
    }
}
