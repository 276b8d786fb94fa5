//! permit0-vm: loads verified bundles and decides requests without allocating.
pub mod risk;
