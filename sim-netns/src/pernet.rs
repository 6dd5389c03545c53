//! `struct pernet_operations` (`include/net/net_namespace.h`): what a
//! subsystem runs when a namespace is created or destroyed.

use sim_core::KResult;
use sim_core::sync::Arc;

use crate::net::{Net, NetGenericId};

/// `struct pernet_operations`. `init` runs for every existing namespace
/// when the operations are registered and for every namespace created
/// later, in registration order; `pre_exit` and `exit` run in reverse
/// registration order when a namespace is destroyed (all `pre_exit`s first,
/// then all `exit`s, as `cleanup_net` does).
pub trait PernetOperations: Send + Sync + 'static {
    /// A name for diagnostics (the kernel's ops are identified by address).
    fn name(&self) -> &'static str;

    /// `.init`: a failure undoes the namespace's setup (or the
    /// registration) and is returned to the caller.
    fn init(&self, _net: &Net) -> KResult<()> {
        Ok(())
    }

    /// `.pre_exit`: runs before any `exit` of the dying namespace.
    fn pre_exit(&self, _net: &Net) {}

    /// `.exit`.
    fn exit(&self, _net: &Net) {}
}

/// `struct pernet_operations` with `.id` and `.size`: a subsystem with
/// per-namespace data in a `net_generic` slot (as af_key's
/// `pfkey_net_ops`). `init` builds the data (the kernel allocates it zeroed
/// before calling `.init`, which fills it in); it is published in the slot
/// and reachable with `net.generic(id)` until after `exit`.
pub trait PernetGeneric: Send + Sync + 'static {
    /// The per-namespace data (`ops->size` bytes in the kernel).
    type Data: Send + Sync + 'static;

    fn name(&self) -> &'static str;

    /// `.init`: returns the namespace's data.
    fn init(&self, net: &Net) -> KResult<Self::Data>;

    /// `.pre_exit`.
    fn pre_exit(&self, _net: &Net, _data: &Self::Data) {}

    /// `.exit`: the data is freed afterwards (`ops_free`).
    fn exit(&self, _net: &Net, _data: &Self::Data) {}
}

/// Adapts a [`PernetGeneric`] to the slot-managing operations the registry
/// runs (`ops_init` assigning the generic pointer, `ops_free` clearing it).
pub(crate) struct GenericOps<P: PernetGeneric> {
    pub(crate) ops: P,
    pub(crate) id: NetGenericId<P::Data>,
}

impl<P: PernetGeneric> GenericOps<P> {
    fn data(&self, net: &Net) -> Option<Arc<P::Data>> {
        net.generic(self.id)
    }
}

impl<P: PernetGeneric> PernetOperations for GenericOps<P> {
    fn name(&self) -> &'static str {
        self.ops.name()
    }

    fn init(&self, net: &Net) -> KResult<()> {
        let data = self.ops.init(net)?;
        net.assign_generic(
            self.id.id(),
            Some(sim_core::arc_dyn!(data => dyn std::any::Any + Send + Sync)),
        );
        Ok(())
    }

    fn pre_exit(&self, net: &Net) {
        if let Some(d) = self.data(net) {
            self.ops.pre_exit(net, &d);
        }
    }

    fn exit(&self, net: &Net) {
        if let Some(d) = self.data(net) {
            self.ops.exit(net, &d);
        }
    }
}

/// Identifies one registration, for `unregister_pernet_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PernetHandle(pub(crate) u64);
