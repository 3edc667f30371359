"""The widgets in a real browser: JupyterLab and Notebook 7 in Debian's Chromium, driven by
Playwright.

Each front-end in turn (the fixtures are parametrized over both; the same tests run against
each) is started on 127.0.0.1 with a random token in a temporary directory holding a small
widget notebook (built below); the notebook is opened, Run All is chosen from the Run menu,
and then: before a Retrain the lab shows placeholders, no broken image; Retrain
advances the progress bar and fills the metrics table; Stop ends a long run and names the epoch
reached; the stepper's "k-means++" is not cut; hovering a point of the explorer shows its image;
a legend click shows the cluster's members; the explorer's colours are those Python computed.
Screenshots are taken in a temporary folder; with ``DEEPCLUST_LAB_SCREENSHOTS=docs/images``
JupyterLab's replace the README's, so a plain test run never rewrites tracked files. The server
is started as
its own process (``python -m jupyterlab`` / ``python -m notebook``) and stopped by its PID.

Chromium comes from the system (``make browser-deps`` / scripts/ensure-chromium), never from
``playwright install``. Without it the module is skipped locally, and fails on CI.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import wheel_venv

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "widgets_browser_test.ipynb"
# The notebook the browser runs: two ClusterLabs (a fast one, and a long run to stop), an
# explorer of K-means clusters on digits, and a K-means stepper.
CELLS = [
    "from deepclust_lab.data import load_dataset\n"
    "from deepclust_lab.kmeans import KMeans\n"
    "from deepclust_lab.widgets import ClusterLab, EmbeddingExplorer, KMeansStepper",
    'lab = ClusterLab("digits", preset="fast", title="ClusterLab: fast demo")\nlab',
    "# long enough to press Stop in the middle\n"
    'slow_lab = ClusterLab("digits", preset="fast", epochs=3000, title="ClusterLab: long run")\n'
    "slow_lab",
    'digits = load_dataset("digits")\n'
    "labels = KMeans(n_clusters=10, random_state=0).fit_predict(digits.X)\n"
    "explorer = EmbeddingExplorer.from_dataset(digits, labels, max_points=1000)\n"
    "explorer",
    "KMeansStepper('blobs', n_clusters=3)",
]
# JupyterLab user settings for the test server: no news pop-up, every cell rendered. Notebook 7
# is built from the same extensions and reads the same settings directory.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass(frozen=True)
class FrontEnd:
    """What differs between the two front-ends; the notebook DOM (cells, menus) is shared."""

    module: str  # started as `python -m MODULE`, so the PID kept is the server's
    app_name: str  # the page's own name for itself (its #jupyter-config-data)
    major: str  # the major version the lock pins
    notebook_path: str  # where a notebook opens
    kernel_idle: str  # a selector that shows the page's kernel connection is idle
    readme_images: bool  # its screenshots can replace the README's (JupyterLab's do)


FRONT_ENDS = {
    "jupyterlab": FrontEnd(
        module="jupyterlab", app_name="JupyterLab", major="4", notebook_path="lab/tree",
        # the status bar's "Python 3 (ipykernel) | Idle"; the toolbar's execution indicator
        # reads "idle" before a kernel is even attached, so it proves nothing here
        kernel_idle='.jp-StatusBar-Widget >> text=/\\| Idle/', readme_images=True),
    "notebook": FrontEnd(
        module="notebook", app_name="Jupyter Notebook", major="7", notebook_path="notebooks",
        # no status bar: the toolbar's indicator goes "initializing" -> "idle"
        kernel_idle='.jp-Notebook-ExecutionIndicator[data-status="idle"]', readme_images=False),
}


def _require_browser():
    """Skip (locally) or fail (CI) when Chromium or Playwright is missing."""
    problems = []
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"{CHROMIUM} not found (run `make browser-deps`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed")
    if problems:
        message = "browser tests need " + "; ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nbformat.write(nb, path)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server by its own PID: terminate, wait, then kill."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module", params=sorted(FRONT_ENDS))
def front_end(request) -> FrontEnd:
    return FRONT_ENDS[request.param]


@pytest.fixture(scope="module")
def jupyter_server(front_end, tmp_path_factory):
    _require_browser()
    # the wheel's venv may be building in the background (conftest.py): its pip opens
    # connections on ephemeral ports, and a kernel started meanwhile once lost its port to one
    # (ZMQError "Address already in use" in the server log), so the servers wait for it
    wheel_venv.wait()
    base = tmp_path_factory.mktemp(front_end.module)
    root = base / "notebooks"
    root.mkdir()
    _write_notebook(root / NOTEBOOK)
    settings = base / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = dict(os.environ)
    env.update({
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "IPYTHONDIR": str(base / "ipython"),
        "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
    })
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", front_end.module, "--no-browser", "--ip=127.0.0.1",
        f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log_path = base / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{front_end.app_name} exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{front_end.app_name} did not answer in 60 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield {"url": url, "token": token, "log": log_path, "front_end": front_end}
    finally:
        _stop(proc)


def _wait_for_idle_kernel(server, timeout: float = 90) -> None:
    """The server's own view, whatever the front-end: the notebook's session has a kernel,
    and that kernel is idle (it has started and answered)."""
    deadline = time.monotonic() + timeout
    sessions = []
    while time.monotonic() < deadline:
        url = f"{server['url']}/api/sessions?token={server['token']}"
        with urllib.request.urlopen(url, timeout=5) as response:
            sessions = json.load(response)
        states = [s["kernel"]["execution_state"] for s in sessions
                  if s.get("path", "").endswith(NOTEBOOK) and s.get("kernel")]
        if "idle" in states:
            return
        time.sleep(0.25)
    pytest.fail(f"the notebook's kernel was not idle after {timeout} s: {sessions}")


def _run_all(page, attempts: int = 3) -> None:
    """Run > Run All Cells, and again if the kernel was not ready to take the cells yet."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    first_prompt = page.locator(".jp-Cell .jp-InputPrompt").first
    for _ in range(attempts):
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        dialog = page.locator(".jp-Dialog")
        try:  # "Select Kernel" if the session was still starting: take the default kernel
            dialog.wait_for(timeout=1500)
            dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
        except PlaywrightTimeout:
            pass
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if re.search(r"\[(\*|\d+)\]", first_prompt.inner_text()):
                return
            time.sleep(0.25)
    pytest.fail(f"Run All did not start the cells after {attempts} attempts")


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module; each front-end gets its own page in it."""
    from playwright.sync_api import sync_playwright

    _require_browser()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def page(browser, jupyter_server):
    server, front_end = jupyter_server, jupyter_server["front_end"]
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    try:
        page.set_default_timeout(30_000)
        page.goto(f"{server['url']}/{front_end.notebook_path}/{NOTEBOOK}?token={server['token']}",
                  wait_until="domcontentloaded", timeout=60_000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        # the kernel must be up before Run All, or the front-end asks for one
        _wait_for_idle_kernel(server)
        page.locator(front_end.kernel_idle).first.wait_for(timeout=90_000)
        _run_all(page)
        page.locator(".dcl-cluster-lab").nth(1).wait_for(timeout=120_000)
        page.locator(".dcl-explorer circle[data-index]").first.wait_for(timeout=120_000)
        yield page
    finally:
        page.close()


def _screenshot(locator, front_end: FrontEnd, name: str, tmp_path: Path) -> None:
    """Save a screenshot of ``locator``: in ``tmp_path``, or over the README's copy when
    ``DEEPCLUST_LAB_SCREENSHOTS`` names a folder and this is JupyterLab."""
    folder = os.environ.get("DEEPCLUST_LAB_SCREENSHOTS")
    folder = Path(folder) if folder and front_end.readme_images else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    locator.screenshot(path=str(path))
    assert path.stat().st_size > 1000, path  # a real picture, not an empty file


def test_the_page_is_the_front_end_asked_for(page, front_end):
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    assert config["appName"] == front_end.app_name, config["appName"]
    assert config["appVersion"].split(".")[0] == front_end.major, config["appVersion"]
    assert f"/{front_end.notebook_path}/{NOTEBOOK}" in page.url


def _lab(page, index: int):
    return page.locator(".dcl-cluster-lab").nth(index)


def test_retrain_shows_progress_and_metrics(page, front_end, tmp_path):
    from playwright.sync_api import expect

    lab = _lab(page, 0)
    lab.scroll_into_view_if_needed()
    # before the first Retrain: two placeholder pictures, 640 px wide, and no broken image
    images = lab.locator("img")
    expect(images).to_have_count(2)
    sizes = images.evaluate_all(
        "(all) => all.map((img) => [img.complete, img.naturalWidth, img.clientWidth])")
    assert all(done and natural == shown == 640 for done, natural, shown in sizes), sizes
    before = lab.locator(".dcl-metrics").inner_text()
    assert "—" in before
    # record every progress-bar width and status line the page shows while training runs
    lab.evaluate("""(root) => {
        window.dclSeen = {widths: [], statuses: []};
        const bar = root.querySelector('.dcl-progress .progress-bar');
        const status = root.querySelector('.dcl-status');
        new MutationObserver(() => {
            window.dclSeen.widths.push(parseFloat(bar.style.width) || 0);
        }).observe(bar, {attributes: true, attributeFilter: ['style']});
        new MutationObserver(() => {
            window.dclSeen.statuses.push(status.innerText);
        }).observe(status, {subtree: true, childList: true, characterData: true});
    }""")
    lab.get_by_role("button", name="Retrain").click()
    expect(lab.locator('.dcl-status [data-state="done"]')).to_be_visible(timeout=120_000)
    seen = page.evaluate("window.dclSeen")
    epochs = [int(m.group(1)) for s in seen["statuses"] for m in [re.search(r"epoch (\d+)/", s)]
              if m]
    assert epochs and max(epochs) >= 1, seen["statuses"]
    partial = [w for w in seen["widths"] if 0 < w < 100]
    assert partial and seen["widths"][-1] == pytest.approx(100), seen["widths"]
    assert sorted(partial) == partial  # the bar only moves forward
    after = lab.locator(".dcl-metrics").inner_text()
    assert after != before and re.search(r"ACC\s+0\.\d{3}", after), after
    expect(lab.get_by_role("button", name="Retrain")).to_be_enabled()
    expect(lab.get_by_role("button", name="Stop")).to_be_disabled()
    expect(lab.locator(".dcl-output")).not_to_contain_text("Error")
    _screenshot(lab, front_end, "cluster_lab.png", tmp_path)


def test_stop_ends_a_long_run(page):
    from playwright.sync_api import expect

    lab = _lab(page, 1)
    lab.scroll_into_view_if_needed()
    retrain = lab.get_by_role("button", name="Retrain")
    retrain.click()
    status = lab.locator(".dcl-status")
    expect(status).to_contain_text(re.compile(r"epoch ([3-9]|\d\d+)/3000"), timeout=90_000)
    expect(retrain).to_be_disabled()
    lab.get_by_role("button", name="Stop").click()
    expect(lab.locator('.dcl-status [data-state="stopped"]')).to_be_visible(timeout=30_000)
    match = re.search(r"Stopped after (\d+) of 3000 epochs", status.inner_text())
    assert match and 3 <= int(match.group(1)) < 3000, status.inner_text()
    expect(retrain).to_be_enabled()
    expect(lab.get_by_role("button", name="Re-cluster")).to_be_enabled()


def test_stepper_shows_its_whole_init_labels(page):
    stepper = page.locator(".dcl-kmeans-stepper")
    stepper.scroll_into_view_if_needed()
    button = stepper.get_by_role("button", name="k-means++")
    # the label fits its button: nothing cut to "k-means…"
    assert button.evaluate("(b) => b.scrollWidth <= b.clientWidth"), button.inner_text()
    assert button.inner_text().strip() == "k-means++"


def test_explorer_colours_come_from_python(page):
    explorer = page.locator(".dcl-explorer")
    explorer.scroll_into_view_if_needed()
    swatches = explorer.locator(".dcl-swatch").evaluate_all(
        "(all) => all.map((s) => getComputedStyle(s).backgroundColor)")
    assert len(swatches) == 10 and len(set(swatches)) == 10, swatches  # ten digits, ten colours


def test_explorer_hover_shows_the_image_and_click_shows_the_cluster(page, front_end, tmp_path):
    from playwright.sync_api import expect

    explorer = page.locator(".dcl-explorer")
    explorer.scroll_into_view_if_needed()
    tooltip = explorer.locator(".dcl-tooltip")
    expect(tooltip).to_be_hidden()
    # click a legend entry: the grid shows that cluster's members
    explorer.locator('.dcl-legend-item[data-cluster="0"]').click()
    expect(explorer.locator(".dcl-grid-title")).to_contain_text("Cluster 0:")
    assert explorer.locator(".dcl-grid-cell canvas").count() > 5
    # hover a point: its image and true label appear
    point = explorer.locator("circle[data-index]").nth(123)
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(tooltip).to_be_visible()
    expect(tooltip.locator(".dcl-tooltip-label")).to_have_text(re.compile(r"label \d · cluster \d"))
    canvas = tooltip.locator("canvas.dcl-image")
    expect(canvas).to_be_visible()
    pixels = canvas.evaluate(
        "(c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"
    )
    assert canvas.evaluate("(c) => [c.width, c.height]") == [8, 8]
    assert len(set(pixels[0::4])) > 2  # a real digit, not a blank square
    _screenshot(explorer, front_end, "embedding_explorer.png", tmp_path)
    page.mouse.move(1, 1)
    expect(tooltip).to_be_hidden()


def test_server_log_is_clean(jupyter_server, page):
    """No tracebacks in the server or kernel log after the whole run."""
    log = jupyter_server["log"].read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("name", ["02_kmeans_from_scratch.ipynb", "04_deep_clustering_pipeline.ipynb"])
def test_exported_html_shows_a_picture_of_every_widget_offline(name, browser, tmp_path):
    """`jupyter nbconvert --to html` of a committed notebook, opened in Chromium with every
    request but file:// refused: each widget output shows its snapshot, a loaded image."""
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / name
    widgets_shown = sum("application/vnd.jupyter.widget-view+json" in output.get("data", {})
                        for cell in json.loads(notebook.read_text())["cells"]
                        for output in cell.get("outputs", []))
    assert widgets_shown >= 1
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir",
                    str(tmp_path), str(notebook)], check=True, capture_output=True, timeout=300)
    page_file = tmp_path / notebook.with_suffix(".html").name
    refused = []

    def offline(route):
        if route.request.url.startswith("file:"):
            return route.continue_()
        refused.append(route.request.url)
        return route.abort()

    exported = browser.new_page()  # the module's Chromium, no Jupyter server needed
    try:
        exported.route("**/*", offline)
        exported.goto(page_file.as_uri(), wait_until="load")
        snapshots = exported.locator(".dcl-snapshot")
        assert snapshots.count() == widgets_shown
        for i in range(widgets_shown):
            image = snapshots.nth(i).locator("img").first
            assert image.evaluate("img => img.complete && img.naturalWidth") > 100
    finally:
        exported.close()
    assert not any("html-manager" in url for url in refused), refused  # no widget CDN asked
