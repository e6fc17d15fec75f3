//! `collapse-lab`, the native command line: the CLI of src/cli over the shared core.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    // Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set" on every start when a
    // headless machine has none; give them a private one.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        let dir = std::env::temp_dir().join(format!("collapse-lab-runtime-{}", std::process::id()));
        if std::fs::create_dir_all(&dir).is_ok() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
            }
            // SAFETY: the first statement of main, before any thread exists.
            unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
        }
    }
    let code = collapse_lab::cli::main(std::env::args().skip(1).collect());
    std::process::exit(code);
}

/// The browser build uses the library (src/web); trunk also compiles the binary, which is empty.
#[cfg(target_arch = "wasm32")]
fn main() {}
