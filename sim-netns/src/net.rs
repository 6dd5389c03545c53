//! `struct net`: one network namespace, with its `net_generic` slots
//! (`include/net/netns/generic.h`) and its XFRM part (`net->xfrm`).

use core::any::Any;
use core::fmt;
use core::marker::PhantomData;

use sim_core::sync::atomic::{AtomicBool, Ordering};
use sim_core::sync::{Arc, ArcCell};

use crate::cred::{Capability, Cred, UserNs, cap_capable};
use crate::sysctl::SysctlTable;
use crate::xfrm::NetnsXfrm;
use sim_core::KResult;

/// A typed handle to one `net_generic` slot: the value of a subsystem's
/// `pernet_operations.id` (as `pfkey_net_id`), assigned when its operations
/// are registered. `net.generic(id)` returns that subsystem's data.
pub struct NetGenericId<T> {
    id: u32,
    _data: PhantomData<fn() -> T>,
}

impl<T> NetGenericId<T> {
    pub(crate) fn new(id: u32) -> Self {
        NetGenericId { id, _data: PhantomData }
    }

    /// The slot number (≥ 1, as the kernel's ids are).
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl<T> Clone for NetGenericId<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for NetGenericId<T> {}

impl<T> fmt::Debug for NetGenericId<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NetGenericId({})", self.id)
    }
}

type GenericPtr = Arc<dyn Any + Send + Sync>;

/// `struct net_generic`: the slot array. Readers see a published copy;
/// writers (serialised by `pernet_ops_rwsem`) copy, change and republish it,
/// as `net_assign_generic` does under RCU.
type NetGenericArray = Vec<Option<GenericPtr>>;

/// `struct net`: a network namespace.
pub struct Net {
    id: u64,
    name: String,
    user_ns: Arc<UserNs>,
    generic_ptrs: ArcCell<NetGenericArray>,
    alive: AtomicBool,
    sysctls: SysctlTable,
    /// `net->xfrm` (`struct netns_xfrm`).
    pub xfrm: NetnsXfrm,
}

impl fmt::Debug for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Net").field("id", &self.id).field("name", &self.name).finish()
    }
}

impl Net {
    /// `net_alloc()`: a zeroed namespace; its subsystems are set up by the
    /// registry's pernet operations (`setup_net`).
    pub(crate) fn alloc(id: u64, name: String, user_ns: Arc<UserNs>) -> Net {
        Net {
            id,
            name,
            user_ns,
            generic_ptrs: ArcCell::new(Arc::new(Vec::new())),
            alive: AtomicBool::new(true),
            sysctls: SysctlTable::new(),
            xfrm: NetnsXfrm::new(),
        }
    }

    /// A unique identifier, never reused (the role of `net->net_cookie`).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The name it was created with (as `ip netns add NAME`; `init_net` is
    /// `"init_net"`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `net->user_ns`: the user namespace that owns this namespace.
    pub fn user_ns(&self) -> &Arc<UserNs> {
        &self.user_ns
    }

    /// `ns_capable(net->user_ns, cap)` for `cred`: `EPERM` unless the
    /// credential has `cap` over this namespace.
    pub fn ns_capable(&self, cred: &Cred, cap: Capability) -> KResult<()> {
        cap_capable(cred, &self.user_ns, cap)
    }

    /// `check_net()`: false once the namespace is being torn down.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    pub(crate) fn mark_dead(&self) {
        self.alive.store(false, Ordering::Release);
    }

    /// `net_generic(net, id)`: the subsystem's per-namespace data, if its
    /// operations have initialised this namespace (and not yet freed it).
    pub fn generic<T: Send + Sync + 'static>(&self, id: NetGenericId<T>) -> Option<Arc<T>> {
        let idx = usize::try_from(id.id).ok()?.checked_sub(1)?;
        let ptr = self.generic_ptrs.with(|g| g.get(idx).and_then(|p| p.clone()))?;
        sim_core::sync::arc_downcast::<T>(ptr)
    }

    /// `net_assign_generic()`: publishes a new array with slot `id` set.
    /// Callers hold `pernet_ops_rwsem`.
    pub(crate) fn assign_generic(&self, id: u32, data: Option<GenericPtr>) {
        let Some(idx) = usize::try_from(id).ok().and_then(|i| i.checked_sub(1)) else {
            return;
        };
        let old = self.generic_ptrs.load();
        let mut new: NetGenericArray = (*old).clone();
        if new.len() <= idx {
            new.resize(idx + 1, None);
        }
        if let Some(slot) = new.get_mut(idx) {
            *slot = data;
        }
        self.generic_ptrs.store(Arc::new(new));
    }

    /// This namespace's sysctl tables (`/proc/sys/net/...`).
    pub fn sysctls(&self) -> &SysctlTable {
        &self.sysctls
    }

    /// Reads `/proc/sys/<path>` in this namespace (`path` as
    /// `"net/core/xfrm_acq_expires"` or `"net.core.xfrm_acq_expires"`).
    pub fn sysctl_read(&self, path: &str) -> KResult<String> {
        self.sysctls.read(path)
    }

    /// Writes `/proc/sys/<path>` in this namespace as `cred`
    /// (`net_ctl_permissions`: owner rights for `CAP_NET_ADMIN` over the
    /// namespace, else the table's mode).
    pub fn sysctl_write(&self, cred: &Cred, path: &str, text: &str) -> KResult<usize> {
        self.sysctls.write(self, cred, path, text)
    }
}
