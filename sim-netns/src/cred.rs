//! Credentials, user namespaces and capabilities: the parts of
//! `include/linux/cred.h`, `include/linux/user_namespace.h` and
//! `include/uapi/linux/capability.h` that `ns_capable` needs.

use sim_core::sync::Arc;
use sim_core::{Errno, KResult};

/// `kuid_t`: a user id as the kernel stores it (global, not per namespace).
pub type Kuid = u32;

/// `GLOBAL_ROOT_UID`.
pub const GLOBAL_ROOT_UID: Kuid = 0;

/// A capability number (`include/uapi/linux/capability.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capability(pub u8);

/// `CAP_CHOWN`.
pub const CAP_CHOWN: Capability = Capability(0);
/// `CAP_DAC_OVERRIDE`.
pub const CAP_DAC_OVERRIDE: Capability = Capability(1);
/// `CAP_SETUID`.
pub const CAP_SETUID: Capability = Capability(7);
/// `CAP_NET_BIND_SERVICE`.
pub const CAP_NET_BIND_SERVICE: Capability = Capability(10);
/// `CAP_NET_BROADCAST`.
pub const CAP_NET_BROADCAST: Capability = Capability(11);
/// `CAP_NET_ADMIN`: every XFRM configuration request, PF_KEY sockets,
/// socket policies and writes to the per-namespace sysctls.
pub const CAP_NET_ADMIN: Capability = Capability(12);
/// `CAP_NET_RAW`.
pub const CAP_NET_RAW: Capability = Capability(13);
/// `CAP_SYS_ADMIN`: creating and entering namespaces.
pub const CAP_SYS_ADMIN: Capability = Capability(21);
/// `CAP_LAST_CAP` (`CAP_CHECKPOINT_RESTORE`).
pub const CAP_LAST_CAP: Capability = Capability(40);

/// `kernel_cap_t`: a set of capabilities (one bit per capability).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KernelCap(pub u64);

impl KernelCap {
    /// `CAP_EMPTY_SET`.
    pub const EMPTY: KernelCap = KernelCap(0);
    /// `CAP_FULL_SET`: every capability up to `CAP_LAST_CAP`.
    pub const FULL: KernelCap = KernelCap((1u64 << (CAP_LAST_CAP.0 as u32 + 1)) - 1);

    /// A set holding exactly `caps`.
    pub fn of(caps: &[Capability]) -> KernelCap {
        caps.iter().fold(KernelCap::EMPTY, |s, &c| s.with(c))
    }

    /// `cap_raised()`.
    pub fn raised(self, cap: Capability) -> bool {
        cap.0 <= CAP_LAST_CAP.0 && self.0 & (1u64 << cap.0) != 0
    }

    /// `cap_raise()` on a copy.
    pub fn with(self, cap: Capability) -> KernelCap {
        if cap.0 > CAP_LAST_CAP.0 {
            return self;
        }
        KernelCap(self.0 | (1u64 << cap.0))
    }

    /// `cap_lower()` on a copy.
    pub fn without(self, cap: Capability) -> KernelCap {
        if cap.0 > CAP_LAST_CAP.0 {
            return self;
        }
        KernelCap(self.0 & !(1u64 << cap.0))
    }
}

/// Deepest level a user namespace may have as a parent (`create_user_ns`
/// refuses when `parent_ns->level > 32`, so the deepest namespace is at 33).
pub const USER_NS_MAX_PARENT_LEVEL: u32 = 32;

/// `struct user_namespace`: the owner of a network namespace, against which
/// `ns_capable` checks are made.
#[derive(Debug)]
pub struct UserNs {
    id: u32,
    level: u32,
    owner: Kuid,
    parent: Option<Arc<UserNs>>,
}

impl UserNs {
    /// `init_user_ns`: level 0, owned by root, no parent.
    pub fn init() -> Arc<UserNs> {
        Arc::new(UserNs { id: 0, level: 0, owner: GLOBAL_ROOT_UID, parent: None })
    }

    /// `create_user_ns()` for a task with `cred`, the new namespace getting
    /// `id`: the owner is the creator's euid and the parent the creator's
    /// namespace. A parent deeper than level 32 gives `ENOSPC`.
    pub fn create(cred: &Cred, id: u32) -> KResult<Arc<UserNs>> {
        let parent = cred.user_ns.clone();
        if parent.level > USER_NS_MAX_PARENT_LEVEL {
            return Err(Errno::ENOSPC);
        }
        Ok(Arc::new(UserNs { id, level: parent.level + 1, owner: cred.euid, parent: Some(parent) }))
    }

    /// An identifier (the namespace's `ns.inum` role here).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Nesting depth (`level`; 0 for `init_user_ns`).
    pub fn level(&self) -> u32 {
        self.level
    }

    /// `owner`: the euid of the task that created the namespace.
    pub fn owner(&self) -> Kuid {
        self.owner
    }

    /// `parent`.
    pub fn parent(&self) -> Option<&Arc<UserNs>> {
        self.parent.as_ref()
    }

    /// Whether this is the initial user namespace.
    pub fn is_init(&self) -> bool {
        self.parent.is_none()
    }
}

/// `struct cred`: who a task is and what it may do, relative to its user
/// namespace.
#[derive(Clone, Debug)]
pub struct Cred {
    /// `uid`: the real user id.
    pub uid: Kuid,
    /// `euid`: the effective user id (used by the capability walk).
    pub euid: Kuid,
    /// `cap_effective`.
    pub cap_effective: KernelCap,
    /// `user_ns`: the namespace the capabilities are held in.
    pub user_ns: Arc<UserNs>,
}

impl Cred {
    /// A credential with the given ids and capabilities in `user_ns`.
    pub fn new(uid: Kuid, caps: KernelCap, user_ns: Arc<UserNs>) -> Cred {
        Cred { uid, euid: uid, cap_effective: caps, user_ns }
    }

    /// Root with every capability in `user_ns` (`init_cred` when that is
    /// `init_user_ns`).
    pub fn root(user_ns: Arc<UserNs>) -> Cred {
        Cred::new(GLOBAL_ROOT_UID, KernelCap::FULL, user_ns)
    }

    /// An unprivileged user: no capabilities.
    pub fn user(uid: Kuid, user_ns: Arc<UserNs>) -> Cred {
        Cred::new(uid, KernelCap::EMPTY, user_ns)
    }

    /// `set_cred_user_ns()`: the credential a task gets on entering a user
    /// namespace it created — every capability, inside that namespace only.
    pub fn in_user_ns(&self, ns: Arc<UserNs>) -> Cred {
        Cred { uid: self.uid, euid: self.euid, cap_effective: KernelCap::FULL, user_ns: ns }
    }

    /// `capable(cap)`: `ns_capable` against `init_user_ns`.
    pub fn capable(&self, cap: Capability) -> bool {
        let mut ns = &self.user_ns;
        while let Some(p) = ns.parent() {
            ns = p;
        }
        ns_capable(self, ns, cap)
    }
}

/// `cap_capable()` (security/commoncap.c) behind `ns_capable(ns, cap)`: the
/// credential has `cap` over `target` if it holds it in `target`, or if it
/// is the owner of `target` (or of an ancestor of it) acting from that
/// namespace's parent; capabilities never reach upwards.
pub fn cap_capable(cred: &Cred, target: &Arc<UserNs>, cap: Capability) -> KResult<()> {
    let mut ns = target;
    loop {
        if Arc::ptr_eq(ns, &cred.user_ns) {
            return if cred.cap_effective.raised(cap) { Ok(()) } else { Err(Errno::EPERM) };
        }
        // A namespace at or above the credential's level cannot be one of
        // its descendants: no capability there.
        if ns.level <= cred.user_ns.level {
            return Err(Errno::EPERM);
        }
        let Some(parent) = ns.parent() else {
            return Err(Errno::EPERM);
        };
        // The owner of a child namespace, acting from the parent, has every
        // capability in the child.
        if Arc::ptr_eq(parent, &cred.user_ns) && ns.owner == cred.euid {
            return Ok(());
        }
        ns = parent;
    }
}

/// `ns_capable(ns, cap)` for the task holding `cred`.
pub fn ns_capable(cred: &Cred, ns: &Arc<UserNs>, cap: Capability) -> bool {
    cap_capable(cred, ns, cap).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_in_init_ns_has_net_admin() {
        let init = UserNs::init();
        let root = Cred::root(init.clone());
        assert!(ns_capable(&root, &init, CAP_NET_ADMIN));
        assert!(root.capable(CAP_SYS_ADMIN));
    }

    #[test]
    fn unprivileged_user_is_refused_with_eperm() {
        let init = UserNs::init();
        let user = Cred::user(1000, init.clone());
        assert_eq!(cap_capable(&user, &init, CAP_NET_ADMIN), Err(Errno::EPERM));
    }

    #[test]
    fn single_capability_set() {
        let init = UserNs::init();
        let c = Cred::new(1000, KernelCap::of(&[CAP_NET_ADMIN]), init.clone());
        assert!(ns_capable(&c, &init, CAP_NET_ADMIN));
        assert!(!ns_capable(&c, &init, CAP_SYS_ADMIN));
        assert!(!KernelCap::FULL.raised(Capability(41)));
        assert_eq!(KernelCap::FULL.without(CAP_NET_ADMIN).with(CAP_NET_ADMIN), KernelCap::FULL);
    }

    #[test]
    fn caps_in_child_ns_do_not_reach_the_parent() {
        let init = UserNs::init();
        let user = Cred::user(1000, init.clone());
        let child = UserNs::create(&user, 1).unwrap_or_else(|e| panic!("{e:?}"));
        let inside = user.in_user_ns(child.clone());
        assert!(ns_capable(&inside, &child, CAP_NET_ADMIN));
        assert!(!ns_capable(&inside, &init, CAP_NET_ADMIN));
        assert!(!inside.capable(CAP_NET_ADMIN));
    }

    #[test]
    fn owner_in_parent_has_caps_in_child_and_grandchild() {
        let init = UserNs::init();
        let user = Cred::user(1000, init.clone());
        let child = UserNs::create(&user, 1).unwrap_or_else(|e| panic!("{e:?}"));
        let grand =
            UserNs::create(&user.in_user_ns(child.clone()), 2).unwrap_or_else(|e| panic!("{e:?}"));
        // The creator, still in init_user_ns without capabilities, owns both.
        assert!(ns_capable(&user, &child, CAP_NET_ADMIN));
        assert!(ns_capable(&user, &grand, CAP_NET_ADMIN));
        // Another unprivileged user does not.
        let other = Cred::user(1001, init.clone());
        assert!(!ns_capable(&other, &child, CAP_NET_ADMIN));
        // Root of init_user_ns has everything below it.
        assert!(ns_capable(&Cred::root(init), &grand, CAP_NET_ADMIN));
    }

    #[test]
    fn sibling_namespaces_do_not_share_capabilities() {
        let init = UserNs::init();
        let a =
            UserNs::create(&Cred::user(1000, init.clone()), 1).unwrap_or_else(|e| panic!("{e:?}"));
        let b =
            UserNs::create(&Cred::user(1001, init.clone()), 2).unwrap_or_else(|e| panic!("{e:?}"));
        let in_a = Cred::user(1000, init).in_user_ns(a);
        assert!(!ns_capable(&in_a, &b, CAP_NET_ADMIN));
    }

    #[test]
    fn nesting_below_level_33_is_enospc() {
        let mut cred = Cred::root(UserNs::init());
        for i in 1..=USER_NS_MAX_PARENT_LEVEL + 1 {
            let ns = UserNs::create(&cred, i).unwrap_or_else(|e| panic!("{e:?}"));
            cred = cred.in_user_ns(ns);
        }
        assert_eq!(cred.user_ns.level(), 33);
        assert_eq!(UserNs::create(&cred, 99).err(), Some(Errno::ENOSPC));
    }
}
