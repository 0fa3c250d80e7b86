//! The ferroalloy runtime and command-line tool.
