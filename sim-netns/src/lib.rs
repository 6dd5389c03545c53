//! Network namespaces (`net/core/net_namespace.c`): [`Net`], the
//! [`NetRegistry`] that creates and destroys them, pernet operations,
//! `net_generic` slots, per-namespace sysctls, credentials for
//! `ns_capable`, and the per-namespace XFRM part ([`NetnsXfrm`]).

pub mod cred;
pub mod net;
pub mod pernet;
pub mod registry;
pub mod sysctl;
pub mod xfrm;

pub use cred::{
    CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, Capability, Cred, KernelCap, Kuid, UserNs,
    cap_capable, ns_capable,
};
pub use net::{Net, NetGenericId};
pub use pernet::{PernetGeneric, PernetHandle, PernetOperations};
pub use registry::NetRegistry;
pub use xfrm::NetnsXfrm;
