fn main() {
    std::process::exit(collapse_lab::cli::main(std::env::args().skip(1).collect()));
}
