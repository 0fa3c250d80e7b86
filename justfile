# Shortcuts for developers. CI runs .ci/run, which calls the same test command.

# Format every crate.
fmt:
    cargo fmt --all

# Lints as CI runs them.
lint:
    cargo clippy --workspace --all-targets --locked -- -D warnings

# The README's test command.
test:
    cargo test --workspace --locked

# Benchmarks of the configuration language.
bench:
    cargo bench -p ferroalloy-value --bench config_load

# Fuzz the parser (needs `cargo install cargo-fuzz` and a nightly toolchain).
fuzz:
    cd fuzz && cargo fuzz run parser
