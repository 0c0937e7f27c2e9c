"""The compose stack under podman + podman-compose, driven as an operator drives it.

On a machine without a registry the base images are local stand-ins built by
``../shared/containers/make_base_images.sh`` (with the podman settings of ``podman_env.sh``);
elsewhere podman pulls the official images. podman-compose 1.0.3 ignores ``depends_on``
conditions, health-check scheduling and ``stop_grace_period``, so ``Stack`` does those steps
itself: database first, health checks run by hand, ``podman stop -t``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from dispatch.tests.ops_support import ROOT, http_get, wait_for

SHARED = Path(os.environ.get("DISPATCH_CONTAINERS_SHARED", ROOT.parent / "shared" / "containers"))
PROBE_IMAGE = "localhost/standin-bookworm-minbase:latest"
GRACE_SECONDS = 900  # stop_grace_period of the backend in the compose files


def missing_tools() -> list[str]:
    return [tool for tool in ("podman", "podman-compose") if not shutil.which(tool)]


def podman_environment(log_dir: Path) -> dict[str, str]:
    """Environment for podman: docker-format images (keeps HEALTHCHECK) and, where the shared
    stand-in scripts exist, the stand-in base images and this machine's containers.conf."""
    env = {**os.environ, "BUILDAH_FORMAT": "docker"}
    if not (SHARED / "make_base_images.sh").exists():
        return env
    log = log_dir / "make_base_images.log"
    with log.open("w") as output:
        built = subprocess.run(
            ["bash", str(SHARED / "make_base_images.sh"), str(ROOT)],
            stdout=output, stderr=subprocess.STDOUT, env=env, timeout=1200,
        )  # fmt: skip
    assert built.returncode == 0, log.read_text()[-3000:]
    conf = subprocess.run(
        ["bash", "-c", '. "$1" && podman_conf "$2" >&2 && printf %s "$CONTAINERS_CONF"', "-",
         str(SHARED / "podman_env.sh"), PROBE_IMAGE],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert conf.returncode == 0 and conf.stdout, conf.stderr
    # Compose services find each other by name only with netavark + aardvark-dns; Debian's
    # podman falls back to CNI without DNS when it first ran before netavark was installed.
    ours = log_dir / "containers.conf"
    ours.write_text(Path(conf.stdout).read_text() + '[network]\nnetwork_backend = "netavark"\n')
    env["CONTAINERS_CONF"] = str(ours)
    return env


def copy_checkout(target: Path) -> Path:
    """The project's files as a fresh clone has them (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def fill_env(directory: Path, values: dict[str, str]) -> Path:
    """Copy .env.example to .env and fill in ``values`` (lines ``KEY=...``) as an editor would."""
    lines = (directory / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        key = line.partition("=")[0]
        if key in values:
            lines[index] = f"{key}={values[key]}"
    target = directory / ".env"
    target.write_text("\n".join(lines) + "\n")
    return target


@dataclass
class Stack:
    directory: Path
    env: dict[str, str]
    port: int
    project: str = "dispatchci"
    compose_file: str = "docker-compose.yml"
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def container(self, service: str) -> str:
        return f"{self.project}_{service}_1"

    def run(self, *args: str, timeout: float = 900, check: bool = True):
        result = subprocess.run(
            args, cwd=self.directory, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        self.log.append(f"$ {' '.join(args)} -> {result.returncode}")
        if check:
            assert result.returncode == 0, (
                f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def compose(self, *args: str, **kwargs):
        return self.run(
            "podman-compose", "-p", self.project, "-f", self.compose_file, *args, **kwargs
        )

    def podman(self, *args: str, **kwargs):
        return self.run("podman", *args, **kwargs)

    def inspect(self, service: str, template: str) -> str:
        return self.podman("inspect", "-f", template, self.container(service)).stdout.strip()

    def address(self, service: str) -> str:
        return self.inspect(service, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")

    def healthy(self, service: str) -> bool:
        """Run the container's own health check (podman schedules none without systemd)."""
        return (
            self.podman("healthcheck", "run", self.container(service), check=False).returncode == 0
        )

    def wait_healthy(self, service: str, timeout: float) -> None:
        wait_for(lambda: self.healthy(service), timeout, f"{service} healthy", step=3)

    def build(self) -> None:
        """``podman-compose build`` of both images. podman-compose 1.0.3 exits 0 even when a
        build fails, so the old images are untagged first and the new ones must exist after."""
        images = [f"{self.project}_dispatch_{service}" for service in ("backend", "gateway")]
        self.podman("rmi", *images, check=False)  # tags only: the layer cache stays
        output = self.compose("build", timeout=1800)
        for image in images:
            built = self.podman("image", "exists", image, check=False).returncode == 0
            assert built, f"{image} was not built:\n{output.stdout[-4000:]}{output.stderr[-4000:]}"

    def up(self) -> None:
        """Database first and healthy, then the rest (what depends_on would do)."""
        self.compose("up", "-d", "dispatch_db")
        self.wait_healthy("dispatch_db", 120)
        self.compose("up", "-d")
        self.wait_backend()

    def wait_backend(self) -> None:
        answers: list[tuple[int, bytes]] = []

        def health_ok() -> bool:
            status, _headers, body = http_get(self.url + "/health/")
            answers.append((status, body[:2000]))
            return status == 200

        try:
            self.wait_healthy("dispatch_backend", 300)
            wait_for(health_ok, 120, "/health/ via gateway")
        except AssertionError as exc:
            logs = {s: self.logs(s)[-3000:] for s in ("dispatch_backend", "dispatch_gateway")}
            raise AssertionError(
                f"{exc}\nlast answer: {answers[-1:]}\n{logs['dispatch_backend']}\n"
                f"{logs['dispatch_gateway']}"
            ) from exc

    def stop(self, service: str) -> tuple[float, int]:
        """``stop`` with the compose file's grace period: (seconds taken, exit code)."""
        started = time.monotonic()
        self.podman(
            "stop", "-t", str(GRACE_SECONDS), self.container(service), timeout=GRACE_SECONDS + 60
        )
        elapsed = time.monotonic() - started
        return elapsed, int(self.inspect(service, "{{.State.ExitCode}}"))

    def logs(self, service: str, since: str | None = None) -> str:
        extra = ["--since", since] if since else []
        result = self.podman("logs", *extra, self.container(service), check=False)
        return result.stdout + result.stderr

    def down(self, *args: str) -> None:
        self.compose("down", *args, check=False, timeout=600)
