//! The `ferroalloy` binary.

fn main() {}
