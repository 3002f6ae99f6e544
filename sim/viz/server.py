"""Serving a Solara page on this machine without internet.

Solara's page asks its server for front-end files under ``/_solara/cdn/``; the server
answers from a local cache (filled by the ``solara-assets`` package) and only goes to the
internet for files the cache lacks. Two gaps remain offline, both closed here:

* Vega charts ask for ``vega@5``, ``vega-lite@5`` and ``vega-embed@6``, while
  ``solara-assets`` ships them only under full versions (e.g. ``vega@5.21.0``): a small
  static route serves each short name from the newest matching local folder.
* Solara's usage telemetry and version check call out to the internet: both are off.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["serve", "free_port", "vega_aliases", "VizProcess", "SHORT_NAMES"]

SHORT_NAMES = ("vega@5", "vega-lite@5", "vega-embed@6")
"""Package names Solara's Vega widget loads, by major version only."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class VizProcess:
    """``giftsim viz TARGET`` in a subprocess on a free port of 127.0.0.1 (browser tests,
    screenshots, scripts). Blocks until the server prints its URL.

    Parameters
    ----------
    target : path-like
        A scenario file (the explorer) or a batch folder (the dashboard).
    *extra : str
        More ``giftsim viz`` options, e.g. ``"--seed", "3"``.
    cache : path-like, optional
        Layout cache folder (``GIFTSIM_CACHE``); default the user's cache.
    cwd : path-like, optional
        Working folder of the server.
    timeout : float, default 120
        Seconds to wait for the URL.
    command : str, default "sim viz"
        The module (and its command) run with ``python -m``: ``"sim.viz.mesa_app"``
        serves the Mesa SolaraViz example instead (its URL line is printed the same way).

    Attributes
    ----------
    url : str
    log : str
        Everything the server printed so far.

    Raises
    ------
    RuntimeError
        If the server exits or prints no URL within ``timeout`` (its output included).
    """

    def __init__(self, target, *extra: str, cache=None, cwd=None, timeout: float = 120,
                 command: str = "sim viz") -> None:
        self.port = free_port()
        env = dict(os.environ)
        if cache is not None:
            env["GIFTSIM_CACHE"] = str(cache)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *command.split(), str(target), "--port", str(self.port), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"giftsim viz exited:\n{self.log}")
            self.log += line
            if self.url in line:
                # keep reading so a chatty server never blocks on a full pipe
                threading.Thread(target=self._drain, daemon=True).start()
                return
        self.stop()
        raise RuntimeError(f"giftsim viz did not print its URL in time:\n{self.log}")

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.log += line

    def stop(self) -> None:
        """Interrupt the server (as Ctrl-C does), killing it after 15 s."""
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> VizProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name.rpartition("@")[2]))


def vega_aliases(cdn: Path) -> dict[str, Path]:
    """For each short name, the newest local folder of the same major version, e.g.
    ``{"vega@5": cdn / "vega@5.21.0", ...}``; names without a local folder are left out."""
    out: dict[str, Path] = {}
    for short in SHORT_NAMES:
        matches = [p for p in cdn.glob(short + ".*") if p.is_dir()] if cdn.is_dir() else []
        if matches:
            out[short] = max(matches, key=lambda p: _version(p.name))
    return out


def _add_offline_routes(app) -> dict[str, Path]:
    from solara.server import settings
    from solara.server.cdn_helper import cdn_url_path
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    aliases = vega_aliases(Path(settings.assets.proxy_cache_dir))
    for short, folder in aliases.items():
        app.router.routes.insert(0, Mount(f"/{cdn_url_path}/{short}", app=StaticFiles(directory=folder)))
    return aliases


def serve(app_ref: str, host: str = "127.0.0.1", port: int = 8765, *,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the Solara page ``app_ref`` (``"module:Component"``) until interrupted.

    Parameters
    ----------
    app_ref : str
    host : str
        Address to bind (default loopback only).
    port : int
        0 picks a free port.
    on_ready : callable(url), optional
        Called once the server accepts connections.

    Raises
    ------
    OSError
        If the port cannot be bound.
    """
    if port == 0:
        port = free_port(host)
    # before solara's settings and app modules are imported
    os.environ["SOLARA_APP"] = app_ref
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    import uvicorn
    from solara.server import settings

    settings.main.mode = "production"
    settings.telemetry.mixpanel_enable = False
    import solara.server.starlette as solara_starlette

    _add_offline_routes(solara_starlette.app)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:  # a clear error before uvicorn's
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    config = uvicorn.Config(solara_starlette.app, host=host, port=port, log_level="warning",
                            access_log=False)
    server = uvicorn.Server(config)
    url = f"http://{host}:{port}/"

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started and on_ready is not None:
            on_ready(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
    if not server.started:
        sys.exit(1)
