//! protocols/ must stay sans-IO: no dependency that could bring a clock, a socket, an async
//! runtime or a global RNG into reach, and the clippy configuration that forbids them in force.

use std::path::Path;

fn protocols_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../protocols")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn protocols_depends_only_on_pure_crates() {
    let manifest = protocols_file("Cargo.toml");
    let deps = manifest
        .split("\n[")
        .find(|section| section.starts_with("dependencies]"))
        .expect("a [dependencies] section");
    let names: Vec<&str> = deps
        .lines()
        .skip(1)
        .filter_map(|l| l.split(['=', '.']).next())
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    for name in &names {
        assert!(
            ["rand_core", "serde", "smallvec"].contains(name),
            "protocols/ depends on `{name}`: is it sans-IO?"
        );
    }
    assert!(
        names.contains(&"rand_core"),
        "parsed no dependencies: {names:?}"
    );
}

#[test]
fn clippy_forbids_clocks_sockets_and_threads_in_protocols() {
    let config = protocols_file("clippy.toml");
    for path in [
        "std::time::Instant::now",
        "std::time::SystemTime::now",
        "std::net::UdpSocket::bind",
        "std::thread::spawn",
    ] {
        assert!(
            config.contains(path),
            "protocols/clippy.toml no longer forbids {path}"
        );
    }
}
