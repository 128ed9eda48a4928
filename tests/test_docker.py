"""The Docker set-up, checked as far as it can be without a container engine.

No container runs here, so these tests read the Dockerfile, docker-compose.yml and the README
and check what a build would need: the official Odoo 19 base, files that exist, commands that
the base image or the repository provides, no system package on the product stage, and the
README's commands being the ones the files run.
"""

import os
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# What the official odoo:19.0 image (odoo/docker, 19.0/Dockerfile, FROM ubuntu:noble) installs
# and our RUN lines may call: the shell's own built-ins and coreutils, apt/dpkg, and the packages
# it installs itself (curl, python3-pip, the odoo .deb).
BASE_IMAGE_COMMANDS = {"apt-get", "dpkg", "curl", "pip3", "rm", "odoo", "python3", "["}
SHELL_KEYWORDS = {"if", "then", "else", "fi"}


def _stages():
    """The Dockerfile's stages: ``{name: {"from": image, "lines": [instruction, ...]}}``."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)  # continuation lines
    stages, current = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?$", line, re.IGNORECASE)
        if match:
            current = match.group(2) or f"stage{len(stages)}"
            stages[current] = {"from": match.group(1), "lines": []}
        else:
            assert current, f"instruction before FROM: {line}"
            stages[current]["lines"].append(line)
    return stages


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _commands(run_line):
    """The program names a RUN instruction calls (split on shell operators)."""
    body = run_line.split(None, 1)[1]
    names = []
    for part in re.split(r"&&|\|\||;|\|", body):
        words = shlex.split(part.strip())
        while words and words[0] in SHELL_KEYWORDS:
            words.pop(0)
        if words:
            names.append(words[0])
    return names


def test_product_stage_is_the_official_odoo_19_image():
    stages = _stages()
    assert next(iter(stages)) == "product"
    assert stages["product"]["from"] == "odoo:19.0"
    assert stages["test"]["from"] == "product"


def test_product_stage_installs_no_system_package_and_no_browser():
    lines = _stages()["product"]["lines"]
    assert not [line for line in lines if "apt-get" in line or "dpkg" in line]
    assert not [line for line in lines if re.search(r"chrom", line, re.IGNORECASE)]
    assert any("requirements.txt" in line for line in lines if line.startswith("RUN pip3 install"))
    assert not any("requirements-test.txt" in line for line in lines)


def test_test_stage_has_the_test_requirements_and_google_chrome():
    lines = _stages()["test"]["lines"]
    assert any("requirements-test.txt" in line for line in lines if line.startswith("RUN pip3 install"))
    chrome = [line for line in lines if "google-chrome-stable" in line]
    assert chrome and "apt-get install" in chrome[0]
    # Ubuntu's chromium is a snap, which no image build can install.
    assert not [line for line in lines if re.search(r"apt-get install[^&]*\bchromium\b", line)]


def test_every_file_the_dockerfile_copies_exists():
    for stage in _stages().values():
        for line in stage["lines"]:
            if line.upper().startswith("COPY"):
                sources = line.split()[1:-1]
                for source in sources:
                    assert (ROOT / source).is_file(), f"COPY {source}: no such file in the repository"


def test_every_command_the_dockerfile_runs_is_in_the_base_image():
    for stage in _stages().values():
        for line in stage["lines"]:
            if line.upper().startswith("RUN"):
                for name in _commands(line):
                    assert name in BASE_IMAGE_COMMANDS, f"{name} (in {line[:60]}...) is not in odoo:19.0"


@pytest.mark.parametrize("service, target", [("odoo", "product"), ("test", "test")])
def test_compose_services_build_their_stage(service, target):
    build = _compose()["services"][service]["build"]
    assert build["context"] == "."
    assert build["target"] == target
    assert target in _stages()


def test_every_path_compose_mounts_or_runs_exists():
    services = _compose()["services"]
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts {source}: not in the repository"
        entrypoint = service.get("entrypoint")
        if entrypoint:
            assert service["working_dir"] == "/src" and ".:/src:ro" in service["volumes"]
            program = ROOT / entrypoint[0]
            assert program.is_file() and os.access(program, os.X_OK), f"{name} runs {entrypoint[0]}: not executable"


def test_compose_demo_database_is_served_on_the_readme_port_and_login():
    odoo = _compose()["services"]["odoo"]
    assert "8069:8069" in odoo["ports"]
    assert odoo["entrypoint"][0] == "bin/demo"
    assert "http://localhost:8069" in README
    demo = (ROOT / "bin" / "demo").read_text(encoding="utf-8")
    assert "admin" in README and "arrears_demo" in demo


def test_demo_database_is_the_simulated_french_brokerage_up_to_today():
    demo = (ROOT / "bin" / "demo").read_text(encoding="utf-8")
    run = re.search(r'"\$PYTHON" "\$ROOT/tests/sim/run_sim.py"(.*?)\|\|', demo, re.DOTALL)
    assert run, "bin/demo does not build the demo database with the simulation"
    options = run.group(1).split()
    assert {"--demo", "--keep", "--until-today", "--data-dir"} <= set(options)
    assert options[options.index("--chart") + 1] == "fr"
    # No demo data: Odoo's account demo data would put its generic chart on the company.
    assert "--with-demo" not in demo
    # The simulation's files and the server's are in the same data directory.
    assert demo.count('--data-dir "$DATA_DIR"') == 2
    sim = (ROOT / "tests" / "sim" / "run_sim.py").read_text(encoding="utf-8")
    for option in ("--demo", "--until-today", "--start", "--data-dir"):
        assert f'"{option}"' in sim


# What the product image's python3 has besides the standard library and our requirements.txt:
# Odoo itself and the .deb's Python dependencies (python3-psycopg2, python3-dateutil, python3-lxml, ...).
IMAGE_PYTHON_PACKAGES = {"odoo", "psycopg2", "dateutil", "lxml"}
# The import name of a requirement whose distribution is named otherwise.
IMPORT_NAMES = {"python-stdnum": "stdnum", "PyYAML": "yaml"}


def _requirement_modules(name):
    modules = set()
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        requirement = re.match(r"\s*([A-Za-z0-9_.-]+)", line.split("#")[0])
        if requirement:
            modules.add(IMPORT_NAMES.get(requirement.group(1), requirement.group(1).replace("-", "_")))
    return modules


def _imported_top_modules(path):
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_product_image_has_what_the_demo_simulation_imports():
    import sys

    sim, bench = ROOT / "tests" / "sim", ROOT / "tests" / "bench"
    # The Stripe fake the simulation shares with payment_link_stripe's tests, imported by path.
    stripe_fake = ROOT / "addons" / "payment_link_stripe" / "tests" / "stripe_fake.py"
    local = {path.stem for path in [*sim.glob("*.py"), *bench.glob("*.py"), stripe_fake]}
    files = [path for path in sim.glob("*.py") if not path.name.startswith("test_")]
    files += [bench / "odoo_env.py", stripe_fake]
    third_party = set().union(*map(_imported_top_modules, files)) - local - set(sys.stdlib_module_names)
    missing = third_party - _requirement_modules("requirements.txt") - IMAGE_PYTHON_PACKAGES
    assert not missing, f"bin/demo's simulation imports {missing}: not in the product image"
    assert {"freezegun", "stripe"} <= third_party and "pytest" not in third_party


def test_requirements_have_phonenumbers_for_the_french_chart():
    # The demo installs l10n_fr_account, which depends on account_peppol, whose manifest requires it.
    assert "phonenumbers" in _requirement_modules("requirements.txt")


def test_the_test_service_and_ci_run_the_readme_test_command():
    assert "docker compose up" in README
    assert "docker compose run --rm test" in README
    readme_command = re.search(r"Run the tests:\n\n\s+(\S+)\n", README).group(1)
    assert _compose()["services"]["test"]["entrypoint"] == [readme_command]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"exec {readme_command}" in ci


def test_compose_database_is_postgresql_16_with_the_credentials_the_services_use():
    services = _compose()["services"]
    assert services["db"]["image"] == "postgres:16"
    for name in ("odoo", "test"):
        env = services[name]["environment"]
        assert env["PGHOST"] == "db"
        assert env["PGUSER"] == services["db"]["environment"]["POSTGRES_USER"]
        assert env["PGPASSWORD"] == services["db"]["environment"]["POSTGRES_PASSWORD"]
