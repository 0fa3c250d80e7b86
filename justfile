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

# Benchmarks: the configuration language, the runtime's loads and reloads, pyroscope.write.
bench:
    cargo bench -p ferroalloy-value --bench config_load
    cargo bench -p ferroalloy-runtime --bench graph_load

# Fuzz the parser (needs `cargo install cargo-fuzz` and a nightly toolchain).
fuzz:
    cd fuzz && cargo fuzz run parser

# Regenerate the checked-in prost code of crates/pyroscope from crates/pyroscope/proto (protox +
# prost-build in a generator crate outside the workspace; no protoc needed).
proto:
    cd crates/pyroscope/gen && cargo run --quiet

# Fail when the checked-in prost code differs from what `just proto` would generate.
proto-check:
    cd crates/pyroscope/gen && cargo run --quiet -- --check
