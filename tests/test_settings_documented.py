"""Every setting is declared once (index/settings.py) and documented: config.toml and the README."""

import re
import tomllib

from index.settings import DEFAULT_CONFIG, SETTINGS, load_config

from .conftest import ROOT


def test_config_toml_lists_every_setting_with_its_default_and_help():
    data = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    listed = {f"{section}.{key}" for section, table in data.items() for key in table}
    assert listed == {s.name for s in SETTINGS}
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert data[setting.section][setting.key] == setting.default, setting.name
        # The help text is the comment right above the key.
        assert f"# {setting.help}\n{setting.key} = " in text, setting.name


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+\.[a-z_0-9]+)`", section))
    assert {s.name for s in SETTINGS} <= documented


def test_the_shipped_config_loads():
    config = load_config(DEFAULT_CONFIG)
    assert config.path("index.path") == (ROOT / "var" / "index").resolve()
