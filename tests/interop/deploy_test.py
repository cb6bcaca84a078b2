#!/usr/bin/python3
"""The deploy/ files are true and consistent, without Docker or a cluster:

- promtool accepts prometheus.yml (check config) and alerts.yml (check rules), and the
  alerts' unit tests pass (test rules); every alert has a case there and a line in
  deploy/README.md;
- every metric the dashboard and the alerts query is one the code defines;
- the dashboard is valid JSON with unique panel ids and no overlapping panels;
- the compose file follows the Compose Specification as Compose v2 reads it (no
  `version:` key, known top-level and service keys, depends_on conditions, named volumes
  declared, bind-mounted files present), and says it needs Compose v2; `docker compose
  config` runs too where Compose is installed;
- the Kubernetes manifests parse, the StatefulSets give their pods POD_NAME from
  metadata.name, and `kubectl kustomize` renders them with and without the
  static-membership component (where kubectl is installed).

Run by CTest; exits non-zero with a sentence per failure.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run(cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


# Metric names as the dashboard and the rules write them: vocstream's and the standard
# process metrics (`up` is Prometheus' own).
METRIC = re.compile(r"\b((?:voc|process)_[a-z0-9_]+)\b")


def defined_metrics(source):
    """Every metric name the code registers or serves: string literals in common/ and services/."""
    names = set()
    for root in ("common", "services"):
        for path in glob.glob(os.path.join(source, root, "**", "*.cc"), recursive=True):
            with open(path, encoding="utf-8") as f:
                names |= set(re.findall(r'"((?:voc|process)_[a-z0-9_]+)"', f.read()))
    return names


def known(name, defined):
    if name in defined:
        return True
    base = re.sub(r"_(bucket|sum|count)$", "", name)  # histogram series
    return base != name and base in defined


def check_prometheus(source):
    prom = os.path.join(source, "deploy/prometheus")
    for cmd in (["promtool", "check", "config", "prometheus.yml"], ["promtool", "check", "rules", "alerts.yml"],
                ["promtool", "test", "rules", "alerts_test.yml"]):
        rc, out = run(cmd, cwd=prom)
        if rc != 0:
            fail(" ".join(cmd) + " failed in deploy/prometheus:\n" + out)
        else:
            print("ok: " + " ".join(cmd))
    with open(os.path.join(prom, "alerts.yml")) as f:
        rules = yaml.safe_load(f)
    with open(os.path.join(prom, "alerts_test.yml")) as f:
        tests = yaml.safe_load(f)
    with open(os.path.join(source, "deploy/README.md")) as f:
        readme = f.read()
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    tested = {t["alertname"] for case in tests["tests"] for t in case.get("alert_rule_test", [])}
    for r in alerts:
        if r["alert"] not in tested:
            fail(f"alert {r['alert']} has no case in deploy/prometheus/alerts_test.yml")
        if f"`{r['alert']}`" not in readme:
            fail(f"alert {r['alert']} is not in deploy/README.md's alert table")
    return [(f"alert {r['alert']}", r["expr"]) for r in alerts]


def check_dashboard(source):
    with open(os.path.join(source, "deploy/grafana/vocstream-dashboard.json")) as f:
        dash = json.load(f)
    panels = dash["panels"]
    ids = [p["id"] for p in panels]
    if len(ids) != len(set(ids)):
        fail("the dashboard has duplicate panel ids")
    cells = {}
    for p in panels:
        g = p["gridPos"]
        if g["x"] + g["w"] > 24:
            fail(f"panel {p['id']} ({p['title']}) is wider than the dashboard")
        for dx in range(g["w"]):
            for dy in range(g["h"]):
                cell = (g["x"] + dx, g["y"] + dy)
                if cell in cells:
                    fail(f"panels {cells[cell]} and {p['id']} overlap at {cell}")
                    break
                cells[cell] = p["id"]
    queries = []
    for p in panels:
        for t in p.get("targets", []):
            if not t.get("expr"):
                fail(f"panel {p['id']} ({p['title']}) has a target without a query")
            queries.append((f"panel {p['id']} ({p['title']})", t.get("expr", "")))
    print(f"ok: dashboard has {len(panels)} panels, {len(queries)} queries")
    return queries


def queried_metrics(source):
    """The metric names the dashboard and the alert rules query (histograms as _bucket)."""
    with open(os.path.join(source, "deploy/prometheus/alerts.yml")) as f:
        rules = yaml.safe_load(f)
    with open(os.path.join(source, "deploy/grafana/vocstream-dashboard.json")) as f:
        dash = json.load(f)
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    exprs += [t.get("expr", "") for p in dash["panels"] for t in p.get("targets", [])]
    return {name for e in exprs for name in METRIC.findall(e)}


def check_metric_names(source, queries):
    defined = defined_metrics(source)
    if len(defined) < 20:
        fail(f"found only {len(defined)} metric names in the sources; the search is broken")
    used = set()
    for where, expr in queries:
        for name in METRIC.findall(expr):
            used.add(name)
            if not known(name, defined):
                fail(f"{where} queries {name}, which no code in common/ or services/ defines")
    print(f"ok: the {len(used)} metric names queried by the dashboard and alerts are defined in the code")


COMPOSE_TOP = {"name", "services", "volumes", "networks", "configs", "secrets", "include"}
COMPOSE_SERVICE = {
    "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "depends_on",
    "restart", "healthcheck", "hostname", "stop_signal", "stop_grace_period", "mem_limit", "user", "working_dir",
    "networks", "labels", "logging", "deploy", "profiles", "container_name", "expose", "extra_hosts", "init",
    "cpus", "ulimits", "tmpfs", "read_only", "security_opt", "cap_drop", "cap_add", "pull_policy"}


def check_compose(source):
    path = os.path.join(source, "deploy/compose/docker-compose.yaml")
    with open(path) as f:
        text = f.read()
    doc = yaml.safe_load(text)
    if "version" in doc:
        fail("docker-compose.yaml has a `version:` key: Compose v2 ignores it with a warning, and it is obsolete")
    if not re.search(r"Compose v2", text):
        fail("docker-compose.yaml does not say that it needs Compose v2")
    for key in doc:
        if key not in COMPOSE_TOP and not key.startswith("x-"):
            fail(f"docker-compose.yaml: unknown top-level key {key!r}")
    services = doc.get("services", {})
    declared_volumes = set((doc.get("volumes") or {}).keys())
    for name, svc in services.items():
        for key in svc:
            if key not in COMPOSE_SERVICE and not key.startswith("x-"):
                fail(f"docker-compose.yaml: service {name} has unknown key {key!r}")
        if "image" not in svc and "build" not in svc:
            fail(f"docker-compose.yaml: service {name} has neither image nor build")
        deps = svc.get("depends_on", {})
        for dep, cond in (deps.items() if isinstance(deps, dict) else [(d, None) for d in deps]):
            if dep not in services:
                fail(f"docker-compose.yaml: service {name} depends on unknown service {dep}")
            if cond and cond.get("condition") not in ("service_started", "service_healthy",
                                                      "service_completed_successfully"):
                fail(f"docker-compose.yaml: service {name} has depends_on condition {cond}")
            if cond and cond.get("condition") == "service_healthy" and "healthcheck" not in services.get(dep, {}):
                fail(f"docker-compose.yaml: {name} waits for {dep} to be healthy, which has no healthcheck")
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith(".") or src.startswith("/"):
                if not os.path.exists(os.path.normpath(os.path.join(os.path.dirname(path), src))):
                    fail(f"docker-compose.yaml: service {name} mounts {src}, which does not exist")
            elif src not in declared_volumes:
                fail(f"docker-compose.yaml: service {name} uses volume {src}, not declared under volumes:")
        hc = svc.get("healthcheck", {}).get("test")
        if hc is not None and (not isinstance(hc, list) or hc[0] not in ("CMD", "CMD-SHELL", "NONE")):
            fail(f"docker-compose.yaml: service {name} has a healthcheck test that is not CMD/CMD-SHELL/NONE")
        if hc and "curl" in hc and "vocstream" in str(svc.get("image", "")):
            with open(os.path.join(source, "deploy/Dockerfile")) as f:
                if "curl" not in f.read():
                    fail("the services' health checks use curl, which deploy/Dockerfile does not install")
    print(f"ok: docker-compose.yaml has {len(services)} services and follows the Compose Specification")
    if shutil.which("docker") and run(["docker", "compose", "version"])[0] == 0:
        rc, out = run(["docker", "compose", "-f", path, "config", "-q"])
        if rc != 0:
            fail("docker compose config rejected docker-compose.yaml:\n" + out)
        else:
            print("ok: docker compose config")
    else:
        print("skipped: docker compose config (Compose v2 is not installed here)")


def check_kubernetes(source):
    kdir = os.path.join(source, "deploy/kubernetes")
    for path in sorted(glob.glob(os.path.join(kdir, "**", "*.yaml"), recursive=True)):
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for d in docs:
            if d.get("kind") != "StatefulSet":
                continue
            container = d["spec"]["template"]["spec"]["containers"][0]
            env = {e["name"]: e for e in container.get("env", [])}
            pod = env.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
            if pod != "metadata.name":
                fail(f"{os.path.relpath(path, source)}: StatefulSet {d['metadata']['name']} has no POD_NAME "
                     "from metadata.name, which the static-membership component passes as group.instance.id")
    if not shutil.which("kubectl"):
        print("skipped: kubectl kustomize (kubectl is not installed here)")
        return
    rc, out = run(["kubectl", "kustomize", kdir])
    if rc != 0:
        fail("kubectl kustomize deploy/kubernetes failed:\n" + out)
        return
    base = [d for d in yaml.safe_load_all(out) if d]
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "kubernetes")
        shutil.copytree(kdir, copy)
        kust = os.path.join(copy, "kustomization.yaml")
        with open(kust) as f:
            text = f.read()
        switched = text.replace("# components:\n#   - static-membership", "components:\n  - static-membership")
        if switched == text:
            fail("kustomization.yaml has no commented `components: - static-membership` switch")
            return
        with open(kust, "w") as f:
            f.write(switched)
        rc, out = run(["kubectl", "kustomize", copy])
        if rc != 0:
            fail("kubectl kustomize with the static-membership component failed:\n" + out)
            return
    static = [d for d in yaml.safe_load_all(out) if d]
    for before, after in zip(base, static):
        if after["kind"] != "StatefulSet":
            if before != after:
                fail(f"the static-membership component changed {after['kind']} {after['metadata']['name']}")
            continue
        args = after["spec"]["template"]["spec"]["containers"][0].get("args", [])
        if "kafka.consumer.group.instance.id=$(POD_NAME)" not in args:
            fail(f"with static membership, StatefulSet {after['metadata']['name']} does not pass "
                 f"group.instance.id=$(POD_NAME): {args}")
        if "args" in before["spec"]["template"]["spec"]["containers"][0]:
            fail(f"without the component, StatefulSet {before['metadata']['name']} already has args")
    print(f"ok: kubectl kustomize renders {len(base)} objects, and the static-membership component sets "
          "group.instance.id from the pod's name in each StatefulSet")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    source = os.path.abspath(args.source_dir)
    queries = check_prometheus(source)
    queries += check_dashboard(source)
    check_metric_names(source, queries)
    check_compose(source)
    check_kubernetes(source)
    if failures:
        print(f"{len(failures)} failed", file=sys.stderr)
        sys.exit(1)
    print("all deploy checks passed")


if __name__ == "__main__":
    main()
