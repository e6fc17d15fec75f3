//! The native commands' output to stdout: what a failed write does (the CLI and `bench` share it).

/// What a failed write to stdout does: a reader that has gone (a closed pipe, as in
/// `collapse-lab gallery | head -1`) ends the program quietly (exit 0); any other error (a
/// full disk under `> file`, /dev/full) is an error (exit 1), so a cut output never looks
/// complete.
pub fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: writing to stdout: {e}");
    std::process::exit(1);
}
