"""deploy/nginx-isoko.conf and its filler, deploy/nginx_config.py, without running nginx
(tests/test_deploy.py runs it): the folders it names exist in this installation, its
security headers are the app's, and the .gz files gzip_static sends match their files."""

from __future__ import annotations

import gzip
import importlib.util
import re
from pathlib import Path

import pytest

from console.security.headers import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def nginx_config():
    spec = importlib.util.spec_from_file_location(
        "nginx_config", ROOT / "deploy" / "nginx_config.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(nginx_config):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        nginx_config.main(["--server-name", "isoko.test", "--upstream", "127.0.0.1:9999"])
    return out.getvalue()


def test_every_static_location_names_a_folder_of_this_installation(rendered):
    aliases = re.findall(r"^\s*alias\s+([^;]+);", rendered, re.M)
    assert len(aliases) >= 7
    for alias in aliases:
        fixed = alias.split("$", 1)[0]  # a regex location's alias ends with its captures
        assert Path(fixed).exists(), alias
    # Flask-AppBuilder's assets come from its package, not from the console's folder.
    fab = re.search(r"location \^~ /static/appbuilder/ \{\s*alias ([^;]+);", rendered).group(1)
    assert (Path(fab) / "js" / "ab.js").is_file()
    assert "@" not in rendered.replace("react@", "")  # every placeholder filled
    assert "listen 443 ssl http2;" in rendered and "server 127.0.0.1:9999;" in rendered


def test_the_headers_nginx_adds_are_the_apps(rendered):
    defaults = dict(re.findall(r'map \$upstream_http_(\w+) \$\w+ \{\s*"" "([^"]+)";', rendered))
    assert defaults == {
        "content_security_policy": CONTENT_SECURITY_POLICY,
        "x_frame_options": "DENY",
        "x_content_type_options": "nosniff",
        "referrer_policy": "same-origin",
        "strict_transport_security": "max-age=31536000; includeSubDomains",
    }


def test_a_placeholder_left_unfilled_is_refused(nginx_config):
    with pytest.raises(SystemExit, match="UPSTREAM"):
        nginx_config.render({"SERVER_NAME": "x"})


def test_precompress_writes_matching_gz_files_and_rewrites_stale_ones(nginx_config, tmp_path):
    script = tmp_path / "app.js"
    script.write_text("var isoko = 1;\n" * 200)
    small = tmp_path / "tiny.css"
    small.write_text("a{}")
    stale = tmp_path / "app.js.gz"
    stale.write_bytes(gzip.compress(b"the previous version"))
    assert nginx_config.precompress([tmp_path]) == 1
    assert gzip.decompress(stale.read_bytes()) == script.read_bytes()
    assert not (tmp_path / "tiny.css.gz").exists()  # under gzip_min_length
    assert nginx_config.precompress([tmp_path]) == 0  # up to date: nothing rewritten
