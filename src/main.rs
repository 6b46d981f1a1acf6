use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() {
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
