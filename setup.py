"""Packaging for segatp: everything is read from settings.ini (nbdev 2 layout)."""
from configparser import ConfigParser

import setuptools

cfg = ConfigParser(delimiters=["="])
cfg.read("settings.ini", encoding="utf-8")
cfg = cfg["DEFAULT"]


def reqs(key: str) -> list[str]:
    """The space-separated requirement list stored under `key` in settings.ini."""
    return cfg.get(key, "").split()


extras = {name: reqs(f"{name}_requirements") for name in ("dev", "train", "gpu", "lean", "cluster")}
extras["all"] = sorted({r for rs in extras.values() for r in rs})

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    license="Apache-2.0",
    url=cfg["git_url"],
    keywords=cfg["keywords"],
    python_requires=f">={cfg['min_python']}",
    packages=setuptools.find_packages(include=["segatp", "segatp.*"]),
    include_package_data=True,
    install_requires=reqs("requirements"),
    extras_require=extras,
    entry_points={"console_scripts": cfg["console_scripts"].split(),
                  "nbdev": [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    zip_safe=False,
)
