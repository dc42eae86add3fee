"""The environments every command runs in (conformance/environments): keyed by their pins,
built once under a lock (a second process waits, then finds it built), a killed build built
again, uv given pip's package sources, the pip fallback, and `convsuite env`'s commands. Run
in the project session, whose environment has uv, filelock and platformdirs as an installed
convsuite has them."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from convsuite.conformance.environments import build, cli, specs
from convsuite.conformance.launcher import main as launcher

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "convsuite" / "environments"


def _tiny(tmp_path, text="iniconfig==2.3.1\n", name="tiny"):
    requirements = tmp_path / f"{name}.txt"
    requirements.write_text(text)
    return specs.EnvironmentSpec(name, "3.11", (str(requirements),))


def test_the_key_follows_the_pins_and_the_python(tmp_path):
    env = _tiny(tmp_path)
    key = env.key
    assert specs.EnvironmentSpec(env.name, "3.12", env.requirements).key != key
    pathlib.Path(env.requirements[0]).write_text("iniconfig==2.3.0\n")
    assert env.key != key


def test_every_backend_environment_carries_checks_tools_and_its_variables():
    found = specs.all_specs()
    assert {"numpy", "torch", "report", "bench", "project"} <= set(found)
    assert found["torch"].tools == (specs.CHECK_TOOLS,) and found["torch"].requirements == ("backends/torch/requirements.txt",)
    assert dict(found["tensorflow"].variables)  # its declared variables (log level, ...) go with it


def test_built_once_then_found(tmp_path, cache):
    env, said = _tiny(tmp_path), []
    python = build.ensure(env, said.append)
    assert subprocess.run([python, "-c", "import iniconfig"]).returncode == 0
    assert build.ensure(env, said.append) == python
    assert sum("building" in line for line in said) == 1, said
    marker = json.loads((specs.location(env) / build.MARKER).read_text())
    assert marker["key"] == env.key and marker["installer"] == ("uv" if build.uv_binary() else "pip")


def test_a_killed_build_is_built_again(tmp_path, cache):
    env, said = _tiny(tmp_path), []
    build.ensure(env, said.append)
    (specs.location(env) / build.MARKER).unlink()  # what a build killed before its end leaves
    build.ensure(env, said.append)
    assert sum("building" in line for line in said) == 2


def test_concurrent_processes_build_one_environment_once(tmp_path, cache):
    env = _tiny(tmp_path)
    program = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from convsuite.conformance.environments import build, specs
        env = specs.EnvironmentSpec("tiny", "3.11", ({env.requirements[0]!r},))
        print(build.ensure(env, lambda message: print(message)))
    """)
    runs = [subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}) for _ in range(3)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert sum(output.count("building environment") for output in outputs) == 1, outputs
    assert len({output.strip().splitlines()[-1] for output in outputs}) == 1


def test_without_uv_venv_and_pip_build_it(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(build, "uv_binary", lambda: None)
    env = _tiny(tmp_path)
    python = build.ensure(env, lambda message: None)
    assert json.loads((specs.location(env) / build.MARKER).read_text())["installer"] == "pip"
    assert subprocess.run([python, "-c", "import iniconfig"]).returncode == 0


def test_uv_is_given_pips_package_sources(monkeypatch):
    listed = ("global.find-links='/opt/wheels'\n:env:.find-links='/opt/wheels'\n"
              "global.extra-index-url='file:///a/simple file:///b/simple'\nglobal.cert='/etc/ca.crt'\n")
    monkeypatch.setattr(build.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, listed, ""))
    assert build.pip_sources() == ["--find-links", "/opt/wheels", "--extra-index-url", "file:///a/simple",
                                   "--extra-index-url", "file:///b/simple"]


def test_a_failed_install_is_one_error_naming_the_environment(tmp_path, cache):
    env = _tiny(tmp_path, "no-such-package-for-convsuite==0.0.1\n", name="broken")
    with pytest.raises(build.BuildError, match=r"environment broken: .* failed"):
        build.ensure(env, lambda message: None)
    assert not build.is_built(env)


def test_a_missing_python_is_named():
    with pytest.raises(build.BuildError, match=r"no Python 3\.99 on this machine"):
        build.find_python("3.99")


def test_remove_keeps_a_variant_whose_name_extends_it(cache, capsys):
    mxnet, variant = specs.spec("mxnet"), specs.spec("mxnet-3.12")
    for env in (mxnet, variant):
        specs.location(env).mkdir(parents=True)
    assert cli.main(["remove", "mxnet"]) == 0
    assert not specs.location(mxnet).exists() and specs.location(variant).exists()


def test_env_commands_name_an_unknown_environment(cache, capsys):
    assert cli.main(["path", "tensorflw"]) == 2
    assert "no environment 'tensorflw'" in capsys.readouterr().err
    assert cli.main(["list"]) == 0
    assert "not built" in capsys.readouterr().out


@pytest.mark.parametrize("arguments, environment", [
    (["check", "x.py", "--backend", "torch"], "torch"), (["check", "--backend=jax", "x.py"], "jax"),
    (["check", "--merge", "a.json"], "numpy"), (["run", "--backend", "paddle"], "paddle"),
    (["compare", "r.json"], "numpy"), (["report", "r.json"], "report"), (["bench"], "bench"),
])
def test_each_command_runs_in_the_environment_it_needs(arguments, environment):
    assert launcher.environment_for(arguments[0], arguments[1:]).name == environment


def test_the_launcher_refuses_in_one_line(capsys):
    assert launcher.main(["chek"]) == 2
    assert launcher.main(["check", "x.py", "--backend", "tensorflw"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "unknown command 'chek'" in err[0] and "unknown backend 'tensorflw'" in err[1]
    assert launcher.main(["--version"]) == 0 and capsys.readouterr().out.startswith("convsuite ")
