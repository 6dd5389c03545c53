//! Network namespaces (`net/core/net_namespace.c`): `Net`, the registry, pernet operations, `net_generic` slots and the per-namespace XFRM part.
