//! The deployment files of `deploy/`, checked offline by the tools operators use on them:
//! hadolint on the Dockerfile, the compose specification's schema, HAProxy's own check,
//! the Kubernetes schemas on what kustomize renders, `systemd-analyze verify` on the units,
//! `promtool` on a scrape of the running binary's `/metrics`; and every variable the binary
//! reads documented and in the example environment.

mod tools;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use tools::{python_tool, repository, run, succeeds, system_tool, yaml_documents};

fn read(path: &str) -> String {
    std::fs::read_to_string(repository(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_dockerfile_passes_hadolint() {
    let dockerfile = read("deploy/Dockerfile");
    succeeds(
        Command::new(python_tool("hadolint"))
            .args(["--no-color", "--failure-threshold", "style"])
            .arg(repository("deploy/Dockerfile")),
        None,
    );
    // What the image promises operators, beyond the linter's rules.
    for line in [
        "USER 10001:10001",
        "HEALTHCHECK",
        "CMD [\"plateaux\", \"healthcheck\"]",
        "ENTRYPOINT [\"plateaux\"]",
    ] {
        assert!(dockerfile.contains(line), "the Dockerfile lacks {line}");
    }
    assert!(
        dockerfile.matches("\nFROM ").count() >= 2,
        "a build stage and a runtime stage"
    );
}

#[test]
fn the_compose_file_fits_the_compose_specification() {
    let compose = repository("deploy/compose.yaml");
    succeeds(
        Command::new(python_tool("check-jsonschema"))
            .args(["--builtin-schema", "vendor.compose-spec"])
            .arg(&compose),
        None,
    );
    let document = yaml_documents(read("deploy/compose.yaml").as_bytes()).remove(0);
    let services = document["services"].as_object().expect("services");
    for name in ["db", "migrate", "plateaux-1", "plateaux-2", "proxy"] {
        assert!(services.contains_key(name), "no service {name}");
    }
    assert_eq!(
        services["migrate"]["command"],
        serde_json::json!(["migrate"])
    );
    let variables = variables_read();
    for instance in ["plateaux-1", "plateaux-2"] {
        let service = &services[instance];
        assert_eq!(service["image"], services["migrate"]["image"]);
        assert_eq!(
            service["depends_on"]["migrate"]["condition"],
            "service_completed_successfully"
        );
        assert!(service["healthcheck"]["test"].is_array(), "{instance}");
        for name in service["environment"]
            .as_object()
            .expect("environment")
            .keys()
        {
            assert!(
                variables.contains(name),
                "{instance}: {name} is read by nothing"
            );
        }
    }
    // The proxy sends to the instances the compose file starts, and checks their readiness.
    let proxy = read("deploy/haproxy.cfg");
    let servers: Vec<&str> = proxy
        .lines()
        .filter_map(|line| line.trim().strip_prefix("server "))
        .map(|rest| rest.split_whitespace().nth(1).expect("server address"))
        .collect();
    assert_eq!(servers, ["plateaux-1:8080", "plateaux-2:8080"]);
    assert!(proxy.contains("option httpchk GET /readyz"));
}

#[test]
fn the_proxy_configuration_is_valid() {
    let haproxy = system_tool("haproxy", "apt-get install -y haproxy");
    let output = run(
        Command::new(haproxy)
            .arg("-c")
            .arg("-f")
            .arg(repository("deploy/haproxy.cfg")),
        None,
    );
    let said = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{said}");
    // Offline, the compose services' names do not resolve: nothing else may be warned.
    for line in said.lines().filter(|l| l.contains("WARNING")) {
        assert!(line.contains("could not resolve address"), "{said}");
    }
}

#[test]
fn the_kubernetes_manifests_render_and_validate() {
    let variables = variables_read();
    for directory in [
        "deploy/kubernetes/base",
        "deploy/kubernetes/overlays/production",
    ] {
        let rendered = render_kustomization(directory);
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("rendered.yaml");
        std::fs::write(&file, &rendered).unwrap();
        // The oldest and the newest Kubernetes the validator knows of the ones in use.
        for version in ["1.30.0", "1.37.0"] {
            succeeds(
                Command::new(python_tool("kubernetes-validate"))
                    .args(["--strict", "--quiet", "-k", version])
                    .arg(&file),
                None,
            );
        }
        let documents = yaml_documents(rendered.as_bytes());
        let mut kinds = BTreeMap::new();
        for document in &documents {
            kinds.insert(
                document["kind"].as_str().expect("kind").to_owned(),
                document.clone(),
            );
        }
        for kind in [
            "Deployment",
            "Service",
            "ConfigMap",
            "Secret",
            "PodDisruptionBudget",
            "Job",
        ] {
            assert!(kinds.contains_key(kind), "{directory}: no {kind}");
        }
        let deployment = &kinds["Deployment"];
        assert_eq!(deployment["spec"]["replicas"], 2, "{directory}");
        let pod = &deployment["spec"]["template"];
        let container = &pod["spec"]["containers"][0];
        assert_eq!(
            container["readinessProbe"]["httpGet"]["path"], "/readyz",
            "{directory}"
        );
        assert_eq!(
            container["livenessProbe"]["httpGet"]["path"], "/healthz",
            "{directory}"
        );
        assert_eq!(pod["spec"]["securityContext"]["runAsNonRoot"], true);
        let job = &kinds["Job"]["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(job["args"], serde_json::json!(["migrate"]), "{directory}");
        assert_eq!(job["image"], container["image"], "{directory}");
        // The disruption budget and the Service pick the Deployment's pods.
        let labels = pod["metadata"]["labels"].as_object().expect("pod labels");
        for selector in [
            &kinds["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
            &kinds["Service"]["spec"]["selector"],
        ] {
            for (key, value) in selector.as_object().expect("selector") {
                assert_eq!(labels.get(key), Some(value), "{directory}: {key}");
            }
        }
        // Every configuration the pods refer to exists, and names variables the binary reads.
        let config = |kind: &str| {
            let document = &kinds[kind];
            let name = document["metadata"]["name"].as_str().unwrap().to_owned();
            let keys: Vec<String> = document["data"]
                .as_object()
                .map(|d| d.keys().cloned().collect())
                .unwrap_or_default();
            (name, keys)
        };
        let (config_map, config_keys) = config("ConfigMap");
        let (secret, secret_keys) = config("Secret");
        for spec in [&pod["spec"], &kinds["Job"]["spec"]["template"]["spec"]] {
            let refs = &spec["containers"][0]["envFrom"];
            assert_eq!(refs[0]["configMapRef"]["name"], config_map.as_str());
            assert_eq!(refs[1]["secretRef"]["name"], secret.as_str());
        }
        for key in config_keys.iter().chain(&secret_keys) {
            assert!(
                variables.contains(key),
                "{directory}: {key} is read by nothing"
            );
        }
        assert!(secret_keys.contains(&"PLATEAUX_JWT_SECRET".to_owned()));
        assert!(secret_keys.contains(&"PLATEAUX_DATABASE_URL".to_owned()));
    }
}

/// `kustomize build`, by the kustomize program or the one built into kubectl.
fn render_kustomization(directory: &str) -> String {
    let on_path = |name: &str| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    };
    let mut command = match (on_path("kustomize"), on_path("kubectl")) {
        (Some(kustomize), _) => {
            let mut c = Command::new(kustomize);
            c.arg("build");
            c
        }
        (None, Some(kubectl)) => {
            let mut c = Command::new(kubectl);
            c.arg("kustomize");
            c
        }
        (None, None) => panic!(
            "kustomize is missing: install kubectl (which has it built in) or the kustomize \
             program from the Kubernetes project's releases"
        ),
    };
    succeeds(command.arg(repository(directory)), None)
}

#[test]
fn the_systemd_units_verify() {
    let analyze = system_tool("systemd-analyze", "apt-get install -y systemd");
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut units = Vec::new();
    for entry in std::fs::read_dir(repository("deploy")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !(name.ends_with(".service") || name.ends_with(".timer")) {
            continue;
        }
        // `verify` checks that the programs exist: the binary just built stands in for the
        // installed one.
        let unit = std::fs::read_to_string(&path)
            .unwrap()
            .replace("/usr/local/bin/plateaux", env!("CARGO_BIN_EXE_plateaux"));
        let copy = dir.path().join(&name);
        std::fs::write(&copy, unit).unwrap();
        units.push(copy);
    }
    assert!(units.len() >= 3, "{units:?}");
    let output = run(
        Command::new(analyze)
            .args(["verify", "--man=no"])
            .args(&units)
            .current_dir(dir.path()),
        None,
    );
    let said = String::from_utf8_lossy(&output.stderr);
    // Unknown keys and values are only warned about: any word from systemd is a failure.
    assert!(output.status.success() && said.trim().is_empty(), "{said}");
}

/// Kills the service when the test ends, passed or not.
struct Service(std::process::Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 exchange: status and body.
fn http(port: u16, path: &str, accept: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let status = reply.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = reply.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The exposition in Prometheus's text format, which is what `promtool check metrics`
/// reads (it has no OpenMetrics parser): a counter family's HELP and TYPE name its
/// `_total` series, and OpenMetrics' `# UNIT` and `# EOF` lines go.
fn prometheus_text(openmetrics: &str) -> String {
    let counters: BTreeSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut text = String::new();
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let mut line = line.to_owned();
        for prefix in ["# HELP ", "# TYPE "] {
            if let Some(rest) = line.strip_prefix(prefix) {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                assert!(
                    !["info", "stateset", "gaugehistogram"].contains(&tail),
                    "{line}: an OpenMetrics type with no Prometheus text equivalent"
                );
                if counters.contains(name) {
                    line = format!("{prefix}{name}_total {tail}");
                }
            }
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// Every metric the example Grafana dashboard (`deploy/grafana/plateaux.json`) queries is in
/// the exposition `text` (Prometheus's text format): a family's own name, or the
/// `_bucket`, `_sum` and `_count` series of a histogram.
fn dashboard_queries_name_exposed_metrics(text: &str) {
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("deploy/grafana/plateaux.json")).expect("dashboard JSON");
    let families: BTreeSet<(String, String)> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(name, kind)| (name.to_owned(), kind.to_owned()))
        .collect();
    let exposed = |name: &str| {
        families.iter().any(|(family, kind)| {
            family == name
                || (kind == "histogram"
                    && ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|suffix| name.strip_suffix(suffix) == Some(family)))
        })
    };
    let mut queried = BTreeSet::new();
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(!panels.is_empty());
    for panel in panels {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            let mut rest = expr;
            while let Some(at) = rest.find("plateaux_") {
                let name: String = rest[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                rest = &rest[at + name.len()..];
                queried.insert(name);
            }
        }
    }
    for name in [
        "plateaux_bookings_total",
        "plateaux_db_pool_wait_seconds_bucket",
    ] {
        assert!(queried.contains(name), "the dashboard charts {name}");
    }
    let missing: Vec<&String> = queried.iter().filter(|name| !exposed(name)).collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries metrics the service does not expose: {missing:?}\n{text}"
    );
}

/// The running binary's `/metrics`, as Prometheus asks for it, passes promtool's checks;
/// `plateaux healthcheck` answers for the service on PLATEAUX_BIND, and fails once it stops.
#[test]
fn metrics_pass_promtool_and_the_health_check_answers() {
    let promtool = system_tool(
        "promtool",
        "apt-get install -y --no-install-recommends prometheus",
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let database = format!("sqlite://{}", dir.path().join("plateaux.db").display());
    let mut service = Service(
        Command::new(env!("CARGO_BIN_EXE_plateaux"))
            .arg("serve")
            .current_dir(dir.path())
            .env("PLATEAUX_DATABASE_URL", &database)
            .env("PLATEAUX_BIND", format!("127.0.0.1:{port}"))
            .env("PLATEAUX_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the service"),
    );
    let healthcheck = |bind: String, path: &str| {
        run(
            Command::new(env!("CARGO_BIN_EXE_plateaux"))
                .args(["healthcheck", "--path", path])
                .env("PLATEAUX_DATABASE_URL", &database)
                .env("PLATEAUX_BIND", bind),
            None,
        )
    };
    let mut ready = false;
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, "/readyz", "*/*").0 == 200
        {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ready, "the service did not start");
    // Requests of several routes and statuses, so that every family has series.
    for path in ["/healthz", "/api/v1/platforms", "/api/v1/nowhere"] {
        http(port, path, "application/json");
    }
    let (status, exposition) = http(
        port,
        "/metrics",
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    );
    assert_eq!(status, 200, "{exposition}");
    assert!(
        exposition.contains("plateaux_http_requests_total{"),
        "{exposition}"
    );
    let text = prometheus_text(&exposition);
    succeeds(
        Command::new(&promtool).args(["check", "metrics"]),
        Some(text.as_bytes()),
    );
    dashboard_queries_name_exposed_metrics(&text);

    // Listening on every address, the check asks the loopback one.
    for bind in [format!("127.0.0.1:{port}"), format!("0.0.0.0:{port}")] {
        let output = healthcheck(bind, "/healthz");
        assert!(output.status.success(), "{output:?}");
    }
    let output = healthcheck(format!("127.0.0.1:{port}"), "/nowhere");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let _ = service.0.kill();
    let _ = service.0.wait();
    let output = healthcheck(format!("127.0.0.1:{port}"), "/healthz");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
}

/// Every environment variable the binary reads: the `"PLATEAUX_…"` literals of `src/`, and
/// the name given to any `env::var`, `var_os` or `try_from_env` call.
fn variables_read() -> BTreeSet<String> {
    fn sources(dir: &std::path::Path, into: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut texts = Vec::new();
    sources(&repository("src"), &mut texts);
    let name_at = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for text in &texts {
        for (at, _) in text.match_indices("\"PLATEAUX_") {
            names.insert(name_at(&text[at + 1..]));
        }
        for call in ["env::var(\"", "env::var_os(\"", "try_from_env(\""] {
            for (at, _) in text.match_indices(call) {
                names.insert(name_at(&text[at + call.len()..]));
            }
        }
    }
    names.remove("PLATEAUX_");
    // The system's search path (where `plateaux backup` finds pg_dump) is no configuration.
    names.remove("PATH");
    assert!(names.len() >= 10, "{names:?}");
    names
}

/// The `PLATEAUX_…` names of the table lines of `markdown` between `heading` and the next
/// heading of the same level.
fn table_variables(markdown: &str, heading: &str) -> BTreeSet<String> {
    let level = heading.split(' ').next().unwrap();
    let section = markdown
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no section {heading}"))
        .1;
    let section = section
        .split(&format!("\n{level} "))
        .next()
        .unwrap_or(section);
    let mut names = BTreeSet::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        for (at, _) in line.match_indices("`PLATEAUX_") {
            let name: String = line[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}

#[test]
fn every_variable_the_binary_reads_is_documented_and_in_the_example_environment() {
    let read_by_binary = variables_read();
    let readme = table_variables(&read("README.md"), "## Configuration");
    let deploy = table_variables(&read("deploy/README.md"), "## Configuration");
    let example: BTreeSet<String> = read("deploy/plateaux.env.example")
        .lines()
        .map(|line| line.trim_start_matches('#').trim_start())
        .filter_map(|line| line.split_once('='))
        .map(|(name, _)| name.to_owned())
        .filter(|name| name.starts_with("PLATEAUX_"))
        .collect();
    for (place, documented) in [
        ("README.md, Configuration", &readme),
        ("deploy/README.md, Configuration", &deploy),
        ("deploy/plateaux.env.example", &example),
    ] {
        let missing: Vec<_> = read_by_binary.difference(documented).collect();
        assert!(missing.is_empty(), "{place} lacks {missing:?}");
        // And nothing there that the binary no longer reads.
        let stale: Vec<_> = documented.difference(&read_by_binary).collect();
        assert!(stale.is_empty(), "{place} names {stale:?}, read by nothing");
    }
}

#[test]
fn openmetrics_counters_are_renamed_for_promtool() {
    let openmetrics = "# HELP a_requests Requests.\n# TYPE a_requests counter\n\
                       a_requests_total{route=\"/\"} 1\n# HELP b Open.\n# TYPE b gauge\n\
                       # UNIT b seconds\nb 2\n# EOF\n";
    assert_eq!(
        prometheus_text(openmetrics),
        "# HELP a_requests_total Requests.\n# TYPE a_requests_total counter\n\
         a_requests_total{route=\"/\"} 1\n# HELP b Open.\n# TYPE b gauge\nb 2\n"
    );
}
