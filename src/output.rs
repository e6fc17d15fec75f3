//! The native commands' output to stdout: what a failed write does (the CLI and `bench` share
//! it); and JSON values that print as their types print.

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

/// The JSON value of `v` as its text reads: an f32 field keeps its short form (`1.988629`, as
/// `run` prints it), where `serde_json::to_value` would widen it to f64's digits
/// (`1.9886289834976196`), so a study's copy of a run prints as the run alone does.
pub fn json_value<T: serde::Serialize + ?Sized>(v: &T) -> serde_json::Value {
    serde_json::to_string(v).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(serde_json::Value::Null)
}

/// An f32 as the f64 its shortest decimal form reads as (`1.988629`, not `1.9886289834976196`).
pub fn f32_short(x: f32) -> f64 {
    if !x.is_finite() {
        return x as f64;
    }
    x.to_string().parse().unwrap_or(x as f64)
}

/// Whether `path` may be read as an input file (a spec, a saved run, a CSV of points, a study
/// file): a regular file, links followed, or nothing there (the open then says so). Anything
/// else is refused before it is opened (issue 55): a FIFO (named pipe) would block the read until
/// some other process writes to it, forever if none does; a device such as /dev/zero never ends;
/// a socket cannot be opened; a folder holds no text.
pub fn check_input(path: &std::path::Path) -> Result<(), String> {
    let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
    if meta.is_file() {
        return Ok(());
    }
    if meta.is_dir() {
        return Err("is a folder, not a file".into());
    }
    #[cfg(unix)]
    let what = {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            "a FIFO (named pipe), not a regular file: reading it would wait for a writer, forever if none comes"
        } else if t.is_char_device() || t.is_block_device() {
            "a device, not a regular file: reading it may never end"
        } else if t.is_socket() {
            "a socket, not a regular file"
        } else {
            "not a regular file"
        }
    };
    #[cfg(not(unix))]
    let what = "not a regular file";
    Err(format!("is {what}; it is not read: give a regular file"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn f32_fields_keep_their_short_form() {
        #[derive(serde::Serialize)]
        struct A {
            loss: f32,
            lr: f64,
        }
        let v = super::json_value(&A { loss: 1.988629, lr: 0.005 });
        assert_eq!(v.to_string(), r#"{"loss":1.988629,"lr":0.005}"#);
        assert_eq!(serde_json::to_value(A { loss: 1.988629, lr: 0.005 }).unwrap()["loss"].to_string(), "1.9886289834976196");
        assert_eq!((super::f32_short(1.988629), super::f32_short(0.005f32)), (1.988629, 0.005));
        assert!(super::f32_short(f32::NAN).is_nan());
    }
}
