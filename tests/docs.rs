//! Documentation generated from the code, checked to be current: `docs/modules.md`, the map of
//! every source file by its opening line (a Rust file's first `//!` line, a script's or page
//! file's first comment line). A file without an opening line fails the test, so the map names
//! every file. `COLLAPSE_LAB_WRITE_DOCS=1 cargo test --test docs` rewrites it.

use std::path::{Path, PathBuf};

/// The folders mapped, with the file endings read in each.
const FOLDERS: &[(&str, &[&str])] =
    &[("src", &["rs", "py"]), ("shaders", &["wgsl"]), ("www", &["js"]), ("tests", &["rs", "mjs"]), ("scripts", &["sh", "py", "mjs"])];

fn files(root: &Path, dir: &Path, ends: &[&str], out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let rel = p.strip_prefix(root).unwrap().to_path_buf();
        if p.is_dir() {
            // The shipped results are data, not code.
            if rel != Path::new("www/runs") {
                files(root, &p, ends, out);
            }
        } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| ends.contains(&e)) {
            out.push(rel);
        }
    }
}

/// The file's opening sentence: the first sentence of its first doc or comment paragraph,
/// without the comment markers.
fn opening_line(path: &Path, text: &str) -> Option<String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let marker: &[&str] = match ext {
        "rs" => &["//!"],
        "js" | "mjs" | "wgsl" => &["//"],
        "sh" | "py" => &["#", "\"\"\""],
        _ => &[],
    };
    let mut para: Vec<String> = Vec::new();
    for line in text.lines().take(40) {
        let l = line.trim();
        if para.is_empty() && (l.starts_with("#!") || l.is_empty() || l.starts_with("# __HEADER__")) {
            continue;
        }
        let Some(rest) = marker.iter().find_map(|m| l.strip_prefix(m)) else { break };
        let rest = rest.trim().trim_end_matches("\"\"\"").trim();
        if rest.is_empty() {
            if para.is_empty() {
                continue;
            }
            break;
        }
        para.push(rest.to_string());
    }
    let joined = para.join(" ");
    if joined.is_empty() {
        return None;
    }
    // The first sentence: up to a full stop followed by a space (not inside `code`).
    let mut ticks = 0;
    let bytes: Vec<char> = joined.chars().collect();
    for (k, c) in bytes.iter().enumerate() {
        if *c == '`' {
            ticks += 1;
        }
        let before: String = bytes[..k].iter().collect();
        let word = before.rsplit([' ', '(']).next().unwrap_or("");
        let abbreviation = ["Prop", "Fig", "Figs", "e.g", "i.e", "App", "Sec", "vs", "cf", "Eq"].contains(&word);
        if *c == '.' && ticks % 2 == 0 && bytes.get(k + 1).is_some_and(|n| *n == ' ') && !abbreviation {
            return Some(bytes[..=k].iter().collect());
        }
    }
    Some(joined)
}

fn module_map(root: &Path) -> Result<String, Vec<String>> {
    let mut text = String::from(
        "# Module map\n\nEvery source file by its opening line, generated from the code by `tests/docs.rs` (which\nchecks that this page is current; `COLLAPSE_LAB_WRITE_DOCS=1 cargo test --test docs` rewrites\nit). docs/engine.md tells how the parts fit together.\n",
    );
    let mut missing = Vec::new();
    for (folder, ends) in FOLDERS {
        let mut list = Vec::new();
        files(root, &root.join(folder), ends, &mut list);
        text += &format!("\n## {folder}/\n\n| file | what it is |\n|---|---|\n");
        for rel in list {
            let body = std::fs::read_to_string(root.join(&rel)).unwrap();
            match opening_line(&rel, &body) {
                Some(line) => text += &format!("| `{}` | {} |\n", rel.display(), line.replace('|', "\\|")),
                None => missing.push(rel.display().to_string()),
            }
        }
    }
    if missing.is_empty() { Ok(text) } else { Err(missing) }
}

#[test]
fn the_module_map_is_every_files_opening_line_of_today() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map =
        module_map(root).unwrap_or_else(|missing| panic!("files without an opening line (a first //! or comment line saying what the file is): {missing:?}"));
    let path = root.join("docs/modules.md");
    if std::env::var_os("COLLAPSE_LAB_WRITE_DOCS").is_some() {
        std::fs::write(&path, &map).unwrap();
    }
    let shown = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(shown == map, "docs/modules.md is stale: COLLAPSE_LAB_WRITE_DOCS=1 cargo test --test docs");
}

/// The page's views are one list with one shape: every `www/views/*.js` exports its `id`,
/// `title`, `box` and `render(box, data, state)` (a third argument only as a state object), its
/// id is its file's name, and `www/views/index.js` lists it in `VIEWS`.
#[test]
fn every_page_view_is_in_the_one_list_with_one_render_signature() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/views");
    let index = std::fs::read_to_string(dir.join("index.js")).unwrap();
    let listed = index.lines().find_map(|l| l.strip_prefix("export const VIEWS = [")).expect("index.js: no VIEWS list");
    let listed: Vec<&str> = listed.trim_end_matches("];").split(',').map(str::trim).collect();
    let mut seen = Vec::new();
    let mut list = Vec::new();
    files(&dir, &dir, &["js"], &mut list);
    for rel in list {
        let name = rel.file_stem().unwrap().to_str().unwrap().to_string();
        if name == "index" {
            continue;
        }
        let body = std::fs::read_to_string(dir.join(&rel)).unwrap();
        for export in [format!("export const id = '{name}';"), "export const title = ".into(), "export const box = '#".into()] {
            assert!(body.contains(&export), "www/views/{name}.js: no `{export}`");
        }
        let render = body.lines().find_map(|l| l.strip_prefix("export function render(")).unwrap_or_else(|| panic!("www/views/{name}.js: no render"));
        let args = render.split(')').next().unwrap();
        let parts: Vec<&str> = args.splitn(3, ", ").collect();
        assert!(parts[0] == "box" && parts.len() >= 2, "www/views/{name}.js: render({args}) does not take (box, data, state)");
        if let Some(state) = parts.get(2) {
            assert!(state.starts_with('{') || state.starts_with("state"), "www/views/{name}.js: render's third argument is not a state object: {state}");
        }
        assert!(listed.contains(&name.as_str()), "www/views/{name}.js is not in index.js's VIEWS");
        assert!(index.contains(&format!("import * as {name} from './{name}.js';")), "index.js does not import {name}");
        seen.push(name);
    }
    assert_eq!(seen.len(), listed.len(), "VIEWS lists {listed:?}, the folder has {seen:?}");
}
