"""Checks that docker-compose.yml, the Dockerfile, deploy/kubernetes and
the binaries' configuration agree: every variable a deployment sets is one
a binary reads, every variable a binary requires is set, and the ports and
addresses match. The variables a binary reads are read from its source:
each is named as a literal where its configuration reads it.

Run by scripts/check-deploy.sh (with the Python that has PyYAML)."""

import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVICES = ("auth-service", "media-service", "gateway")
READ = re.compile(
    r'(?:env\.(or|or_off|required|parse_or|get)\(|\w+\(\s*&mut env,)\s*"([A-Z][A-Z0-9_]*)"',
    re.S,
)
problems = []


def source(path):
    """A file's code without its tests."""
    text = path.read_text()
    return text.split("#[cfg(test)]")[0]


def reads(crate):
    """The variables `crate` reads, and those it requires."""
    read, required = set(), set()
    for path in sorted((ROOT / crate / "src").rglob("*.rs")):
        if path.name == "tests.rs":
            continue
        for how, name in READ.findall(source(path)):
            read.add(name)
            if how == "required":
                required.add(name)
    return read, required


common, _ = reads("common")
binaries = {}
for service in SERVICES:
    read, required = reads(service)
    binaries[service] = (read | common, required)
everything = set().union(*(read for read, _ in binaries.values()))


def port(address):
    return address.rsplit(":", 1)[1].strip("/")


def addresses_agree(where, env_of):
    """Each service's URL in its callers' variables names its listening port."""
    for prefix, service in (("AUTH", "auth-service"), ("MEDIA", "media-service")):
        listen = env_of(service).get(f"{prefix}_LISTEN_ADDR")
        for caller in SERVICES:
            url = env_of(caller).get(f"{prefix}_SERVICE_URL")
            if listen and url and port(url) != port(listen):
                problems.append(f"{where}: {caller}'s {prefix}_SERVICE_URL {url} is not {service}'s port {port(listen)}")


def variables_agree(where, service, env):
    read, required = binaries[service]
    for name in sorted(set(env) - read):
        problems.append(f"{where}: {service} is given {name}, which it never reads")
    for name in sorted(required - set(env)):
        problems.append(f"{where}: {service} requires {name}, which is not set")


# docker-compose.yml
compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
compose_env = {s: compose[s].get("environment", {}) for s in SERVICES}
for service in SERVICES:
    variables_agree("docker-compose.yml", service, compose_env[service])
addresses_agree("docker-compose.yml", lambda s: compose_env[s])

# deploy/kubernetes: every pod reads the ConfigMap, and its own Secret.
k8s = ROOT / "deploy" / "kubernetes"
config = yaml.safe_load((k8s / "config.yaml").read_text())["data"]
secrets = {
    d["metadata"]["name"]: d.get("stringData", {})
    for d in yaml.safe_load_all((k8s / "secret.yaml").read_text())
    if d
}
for name in sorted(set(config) - everything):
    problems.append(f"deploy/kubernetes: {name} is set, and no binary reads it")
for service in SERVICES:
    read, required = binaries[service]
    own = secrets.get(service, {})
    for name in sorted(set(own) - read):
        problems.append(f"deploy/kubernetes: {service}'s Secret has {name}, which it never reads")
    for name in sorted(required - set(config) - set(own)):
        problems.append(f"deploy/kubernetes: {service} requires {name}, which is not set")
pod_env = {**config, **{k: v for own in secrets.values() for k, v in own.items()}}
addresses_agree("deploy/kubernetes", lambda s: pod_env)
prefixes = {"auth-service": "AUTH", "media-service": "MEDIA", "gateway": "GATEWAY"}
for service in SERVICES:
    documents = [d for d in yaml.safe_load_all((k8s / f"{service}.yaml").read_text()) if d]
    kinds = {d["kind"]: d for d in documents}
    container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    prefix = prefixes[service]
    serving = ports.get("grpc", ports.get("http"))
    if str(serving) != port(pod_env[f"{prefix}_LISTEN_ADDR"]):
        problems.append(f"deploy/kubernetes: {service} listens on {pod_env[f'{prefix}_LISTEN_ADDR']}, its container port is {serving}")
    if str(ports.get("metrics")) != port(pod_env[f"{prefix}_METRICS_ADDR"]):
        problems.append(f"deploy/kubernetes: {service}'s metrics port is not {prefix}_METRICS_ADDR's")
    probe = container["readinessProbe"]["grpc"]["port"]
    if probe != serving:
        problems.append(f"deploy/kubernetes: {service} is probed on {probe}, not its port {serving}")
    url = pod_env.get(f"{prefix}_SERVICE_URL")
    if url:
        host = url.split("//", 1)[1].rsplit(":", 1)[0]
        service_ports = [p["port"] for p in kinds["Service"]["spec"]["ports"]]
        if host != kinds["Service"]["metadata"]["name"] or int(port(url)) not in service_ports:
            problems.append(f"deploy/kubernetes: {prefix}_SERVICE_URL {url} is not {service}'s Service")

# Dockerfile: the web app where the gateway is told to find it.
dockerfile = (ROOT / "Dockerfile").read_text()
web_dir = re.search(r"GATEWAY_WEB_DIR=(\S+)", dockerfile)
if not web_dir or not re.search(rf"COPY --from=web \S+ {re.escape(web_dir.group(1))}\n", dockerfile):
    problems.append("Dockerfile: GATEWAY_WEB_DIR is not where the web app is copied")
for service in SERVICES:
    if f"/src/target/release/{service}" not in dockerfile:
        problems.append(f"Dockerfile: {service} is not in the image")
if config.get("GATEWAY_WEB_DIR") not in (None, web_dir and web_dir.group(1)):
    problems.append("deploy/kubernetes: GATEWAY_WEB_DIR is not the image's")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"deployments agree with the binaries ({len(everything)} variables read)")
