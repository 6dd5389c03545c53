//! Bugs planted for teaching, off by default: switched on at run time with
//! [`plant`] (the labs and `xfrmsim run`'s `bug` line) or for a whole
//! build with sim-core's `planted-bugs` cargo feature. Each one removes or
//! reverses one line that the kernel has for a reason, and each has a
//! detector that fires when it is on and stays quiet when it is off.

use crate::sync::unmodelled::{AtomicU8, Ordering};

/// The bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Bug {
    /// `xfrm_state_flush` takes a state's `&x->lock` while holding
    /// `xfrm_state_lock`, the reverse of `xfrm_state_delete`'s order:
    /// lockdep reports a possible circular locking dependency.
    LockInversion = 1,
    /// Netlink socket release drops its `synchronize_rcu()`: a broadcast
    /// that began before the unlink can still deliver to the released
    /// socket (the loom model of release racing broadcast fails).
    NoSynchronizeRcuOnRelease = 2,
    /// `km_waitq_wake_up` forgets `wake_up(&km_waitq)`: a lookup sleeping
    /// for an SA is never woken when the key manager installs it.
    NoKmWaitqWakeUp = 4,
}

impl Bug {
    /// Every planted bug.
    pub const ALL: [Bug; 3] =
        [Bug::LockInversion, Bug::NoSynchronizeRcuOnRelease, Bug::NoKmWaitqWakeUp];

    /// The name the command line uses.
    pub const fn name(self) -> &'static str {
        match self {
            Bug::LockInversion => "lock-inversion",
            Bug::NoSynchronizeRcuOnRelease => "no-synchronize-rcu",
            Bug::NoKmWaitqWakeUp => "no-km-waitq-wakeup",
        }
    }

    /// The bug called `name`.
    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|b| b.name() == name)
    }
}

const DEFAULT: u8 = if cfg!(feature = "planted-bugs") { 1 | 2 | 4 } else { 0 };

// A configuration switch read by the code it changes, not a protocol
// between threads: it stays outside the model under loom.
static PLANTED: AtomicU8 = AtomicU8::new(DEFAULT);

/// Whether `bug` is planted.
#[inline]
pub fn planted(bug: Bug) -> bool {
    PLANTED.load(Ordering::Relaxed) & bug as u8 != 0
}

/// Whether any bug is planted.
#[inline]
pub fn any_planted() -> bool {
    PLANTED.load(Ordering::Relaxed) != 0
}

/// Plants (`on`) or removes a bug for the whole process.
pub fn plant(bug: Bug, on: bool) {
    if on {
        PLANTED.fetch_or(bug as u8, Ordering::Relaxed);
    } else {
        PLANTED.fetch_and(!(bug as u8), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_switches_toggle() {
        for b in Bug::ALL {
            assert_eq!(Bug::from_name(b.name()), Some(b));
        }
        assert_eq!(Bug::from_name("nothing"), None);
        if !cfg!(feature = "planted-bugs") {
            assert!(!planted(Bug::NoKmWaitqWakeUp));
        }
        plant(Bug::NoKmWaitqWakeUp, true);
        assert!(planted(Bug::NoKmWaitqWakeUp));
        plant(Bug::NoKmWaitqWakeUp, false);
        assert!(!planted(Bug::NoKmWaitqWakeUp));
    }
}
