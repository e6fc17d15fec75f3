#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(collapse_lab::cli::main(std::env::args().skip(1).collect()));
}

/// The browser build uses the library (src/web); trunk also compiles the binary, which is empty.
#[cfg(target_arch = "wasm32")]
fn main() {}
