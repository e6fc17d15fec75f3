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
