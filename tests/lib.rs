//! End-to-end tests of the `ferroalloy` binary live in `tests/`.
