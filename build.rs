//! Builds the web pages (`web/`, Svelte + Vite) into `$OUT_DIR/web`, which the server embeds
//! with rust-embed (`#[folder = "$CHORUS_WEB_DIST"]`), so that a fresh clone runs with
//! `cargo run` and the binary needs no internet.
//!
//! - `npm ci` runs when `web/node_modules` is missing or older than `web/package-lock.json`.
//! - `npm run build -- --outDir $OUT_DIR/web --emptyOutDir` builds the pages.
//! - `CHORUS_SKIP_WEB=1` skips both and embeds a placeholder page (quick Rust-only builds).
//! - `CHORUS_WEB_PREBUILT=<dir>` embeds pages already built there (the Dockerfile builds them
//!   in a Node stage).
//!
//! Only the web sources, the lockfile and the config files are watched, never `web/` as a
//! whole: `node_modules` and `dist` change on every build and would make it run every time.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

/// Files and folders under `web/` whose changes mean the pages must be rebuilt.
const WATCHED: &[&str] =
    &["src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "svelte.config.js"];

const PLACEHOLDER: &str = "<!doctype html>
<html lang=\"en\">
  <head>
    <meta charset=\"utf-8\">
    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
    <title>Chorus</title>
  </head>
  <body>
    <main>
      <h1>Chorus</h1>
      <p>This server was built without its web pages (<code>CHORUS_SKIP_WEB=1</code>).
      The API and the WebSocket work; to get the pages, build again without that setting,
      with Node.js 20 or newer installed.</p>
    </main>
  </body>
</html>
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nerror: {message}\n");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?);
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let web = manifest_dir.join("web");
    let dist = out_dir.join("web");

    println!("cargo::rerun-if-env-changed=CHORUS_SKIP_WEB");
    println!("cargo::rerun-if-env-changed=CHORUS_WEB_PREBUILT");
    println!("cargo::rerun-if-changed=build.rs");
    // sqlx::migrate! embeds the migrations: a new one must rebuild the binary.
    println!("cargo::rerun-if-changed=migrations");
    for name in WATCHED {
        println!("cargo::rerun-if-changed={}", web.join(name).display());
    }
    for config in tsconfigs(&web) {
        println!("cargo::rerun-if-changed={}", config.display());
    }
    // Pages built elsewhere (the Dockerfile's node stage) are embedded as they are.
    if let Some(prebuilt) = env::var_os("CHORUS_WEB_PREBUILT").map(PathBuf::from) {
        if !prebuilt.join("index.html").is_file() {
            return Err(format!("CHORUS_WEB_PREBUILT names {}, which has no index.html", prebuilt.display()));
        }
        println!("cargo::rerun-if-changed={}", prebuilt.display());
        println!("cargo::rustc-env=CHORUS_WEB_DIST={}", prebuilt.display());
        return Ok(());
    }
    // Whatever happens below, the server's `#[folder = "$CHORUS_WEB_DIST"]` names this folder.
    println!("cargo::rustc-env=CHORUS_WEB_DIST={}", dist.display());

    if skip_web() {
        return write_placeholder(&dist)
            .map_err(|e| format!("could not write the placeholder page into {}: {e}", dist.display()));
    }
    if !web.join("package.json").is_file() {
        return Err(format!(
            "the web app is missing ({} has no package.json). Set CHORUS_SKIP_WEB=1 to build without the web pages.",
            web.display()
        ));
    }

    if needs_install(&web) {
        npm(&web, &["ci", "--no-audit", "--no-fund"], "npm ci")?;
    }
    let out = dist.to_str().ok_or_else(|| format!("the build folder {} is not valid UTF-8", dist.display()))?;
    npm(&web, &["run", "build", "--", "--outDir", out, "--emptyOutDir"], "npm run build")?;
    if !dist.join("index.html").is_file() {
        return Err(format!("npm run build finished but wrote no index.html into {}", dist.display()));
    }
    Ok(())
}

/// `CHORUS_SKIP_WEB` set to anything but empty, `0` or `false`.
fn skip_web() -> bool {
    env::var("CHORUS_SKIP_WEB").map(|value| !matches!(value.trim(), "" | "0" | "false" | "no")).unwrap_or(false)
}

/// `web/tsconfig*.json`, whatever their number.
fn tsconfigs(web: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(web)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(OsStr::to_str)
                .is_some_and(|name| name.starts_with("tsconfig") && name.ends_with(".json"))
        })
        .collect();
    found.sort();
    found
}

/// Whether `npm ci` must run: no installed tree, or one older than the lockfile.
fn needs_install(web: &Path) -> bool {
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let installed = modified(&web.join("node_modules").join(".package-lock.json"));
    let locked = modified(&web.join("package-lock.json"));
    match (installed, locked) {
        (Some(installed), Some(locked)) => installed < locked,
        _ => true,
    }
}

fn npm(web: &Path, args: &[&str], what: &str) -> Result<(), String> {
    let program = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let output = Command::new(program)
        .args(args)
        .current_dir(web)
        // A CI-like, non-interactive run: no progress bars, no update notices.
        .env("CI", "true")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_progress", "false")
        .output()
        .map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                "npm was not found. Building Chorus needs Node.js 20 or newer (with npm) to build its web pages: \
                 install it from your package manager or nodejs.org, then build again. \
                 To build without the web pages, set CHORUS_SKIP_WEB=1."
                    .to_owned()
            } else {
                format!("could not run npm ({what}): {e}")
            }
        })?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!("`{what}` in {} failed ({}).\n{}", web.display(), output.status, printed(&output)))
}

/// What npm printed, for the error message.
fn printed(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    format!("--- npm output ---\n{}\n{}\n--- end of npm output ---", stdout.trim_end(), stderr.trim_end())
}

fn write_placeholder(dist: &Path) -> io::Result<()> {
    if dist.exists() {
        fs::remove_dir_all(dist)?;
    }
    fs::create_dir_all(dist)?;
    fs::write(dist.join("index.html"), PLACEHOLDER)
}
