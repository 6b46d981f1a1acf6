use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() {
    return_large_blocks_to_the_system();
    let filter = EnvFilter::try_from_env("PLATEAUX_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("PLATEAUX_LOG_FORMAT").is_ok_and(|f| f == "json");
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        subscriber.json().init();
    } else {
        subscriber.init();
    }
    if let Err(message) = plateaux::cli::run(plateaux::cli::Cli::parse()) {
        eprintln!("plateaux: {message}");
        std::process::exit(1);
    }
}

/// Each password check allocates Argon2's 19 MiB of blocks. glibc raises its mmap threshold
/// after the first such block is freed, and from then on keeps freed blocks in the arena of
/// the thread that used them: after a flood of logins, or the demo's accounts, the service
/// held 150 MB it no longer used. A fixed threshold keeps allocations of 1 MiB and more
/// mapped apart and unmapped when freed.
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
