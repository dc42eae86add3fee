"""The trust boundary: submissions that cheat or attack get a verdict that is not a pass, and
nothing outside their own sandbox changes (course/hostile/cheats/README.md lists them).
Run in the NumPy session: the sandbox is the same for every framework."""

import hashlib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from checking import COURSE, ROOT, check, subject

pytestmark = pytest.mark.check_backend("numpy")
CHEATS = COURSE / "hostile" / "cheats"
SECRET = "CONVSUITE_TEST_SECRET"


class Listener:
    """A TCP listener on 127.0.0.1 that records every byte it is sent."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port, self.received, self.stopping = self.socket.getsockname()[1], b"", False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    self.received += connection.recv(1 << 16)
                except OSError:
                    pass

    def close(self):
        self.stopping = True
        self.thread.join()
        self.socket.close()


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _git_status():
    return subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=ROOT, capture_output=True,
                          text=True).stdout


def _alive(marker):
    return [p for p in pathlib.Path("/proc").iterdir() if p.name.isdigit() and marker in _cmdline(p)]


def _cmdline(process):
    try:
        return (process / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


@pytest.fixture(scope="module")
def cheated(tmp_path_factory):
    """Every cheat beside an honest student, checked once; what changed around them."""
    folder = tmp_path_factory.mktemp("class") / "cheats"
    shutil.copytree(CHEATS, folder)
    home, summary = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("summary")
    listener = Listener()
    (folder / "aim.json").write_text(json.dumps({"checkout": str(ROOT), "port": listener.port,
                                                 "summary": str(summary), "home": str(home),
                                                 "others": [str(p) for p in folder.glob("*.py")]}))
    before = {"files": _digests(folder), "git": _git_status()}
    os.environ[SECRET] = "s3cr3t-of-the-parent"
    try:
        status, out, err, records = check(folder, "--backend", "numpy", "--memory", "512", "--jobs", "2",
                                          summary=summary)
    finally:
        del os.environ[SECRET]
    summary_after = (summary / "summary.json").read_text()
    alive = _alive("convsuite-escape-marker")
    time.sleep(5)  # the escaped processes would rewrite the summary after 4 s
    listener.close()
    yield {"status": status, "out": out, "err": err, "records": {pathlib.Path(k).name: v for k, v in records.items()},
           "before": before, "after": {"files": _digests(folder), "git": _git_status()}, "alive": alive,
           "received": listener.received, "home": home, "summary": summary, "summary_after": summary_after}


CHEAT_FILES = sorted(p.name for p in CHEATS.glob("*.py") if p.name != "honest.py")


@pytest.mark.parametrize("name", CHEAT_FILES)
def test_no_cheat_passes(cheated, name):
    rec = cheated["records"][name]
    assert rec["status"] == "FAIL", (name, rec.get("problems"), rec.get("subjects"))
    assert SECRET not in rec["output_tail"]


def test_the_honest_student_beside_them_passes(cheated):
    rec = cheated["records"]["honest.py"]
    assert rec["status"] == "PASS" and subject(rec, "corr2d")["passed"] == subject(rec, "corr2d")["applicable"] >= 25


def test_nothing_outside_the_sandboxes_changed(cheated):
    assert cheated["after"] == cheated["before"]  # the checkout (git status) and every student's file
    assert not list(cheated["home"].iterdir())
    assert not pathlib.Path(os.path.expanduser("~/.convsuite-poisoned")).exists()
    assert cheated["received"] == b""
    assert not cheated["alive"], "a submission's process outlived check"
    assert (cheated["summary"] / "summary.json").read_text() == cheated["summary_after"]


def test_each_attack_gets_its_own_verdict(cheated):
    records = cheated["records"]
    forged = records["forges_channel.py"]
    assert any("the submission corrupted its channel" in p for p in forged["problems"]), forged["problems"]
    hoard = records["hoards_in_grandchild.py"]
    assert any(p.startswith("memory: resident memory") for p in hoard["problems"]), hoard["problems"]
    bomb = records["forks_many.py"]
    assert any(p.startswith("processes: ") and "(--processes)" in p for p in bomb["problems"]), bomb["problems"]
    assert "ImportError" in json.dumps(records["reference_import.py"]) or \
        "ModuleNotFoundError" in json.dumps(records["reference_import.py"]) or \
        subject(records["reference_import.py"], "corr2d")["passed"] == 0


def _run_in_sandbox(tmp_path, code, *options):
    target = tmp_path / "probe.py"
    target.write_text(code + "\n\ndef corr2d(X, K):\n    return X[:1, :1] * 0\n")
    return check(target, "--backend", "numpy", *options, summary=tmp_path / "s")


def test_the_sandbox_sees_no_checkout_no_network_and_its_own_processes(tmp_path):
    probe = (f"import os, socket\nprint('checkout', [p for p in ('spec', 'conformance', 'backends', 'tests') "
             f"if os.path.exists(os.path.join({str(ROOT)!r}, p))])\n"
             "print('processes', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n"
             "s = socket.socket()\ntry:\n    s.connect(('1.1.1.1', 53))\nexcept OSError as exc:\n"
             "    print('network', type(exc).__name__)\n"
             "print('writable', [p for p in ('/', '/usr', '/etc', '/opt/check') if os.access(p, os.W_OK)])\n"
             "print('home', os.environ.get('HOME'), sorted(os.environ))")
    status, out, err, records = _run_in_sandbox(tmp_path, probe)
    tail = next(iter(records.values()))["output_tail"]
    assert "checkout []" in tail and "network OSError" in tail, tail
    assert "processes [1, 2]" in tail, tail  # bubblewrap's init and the child: nothing of the host
    assert "writable []" in tail, tail
    assert "home /tmp" in tail and SECRET not in tail


def test_without_bubblewrap_check_refuses_in_one_line_and_no_sandbox_warns(tmp_path):
    target = tmp_path / "mine.py"
    shutil.copy(CHEATS / "honest.py", target)
    done = subprocess.run([sys.executable, "-m", "convsuite.conformance", "check", str(target), "--backend", "numpy"],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 1 and "bubblewrap is not installed" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    status, out, err, records = check(target, "--backend", "numpy", "--no-sandbox", summary=tmp_path / "s")
    assert status == 0 and "--no-sandbox: the targets run unconfined" in err
    assert next(iter(records.values()))["sandboxed"] is False


@pytest.mark.parametrize("option, value", [("--timeout", "nan"), ("--timeout", "-5"), ("--timeout", "0"),
                                           ("--memory", "0"), ("--target-timeout", "0"), ("--processes", "inf")])
def test_limits_that_are_not_positive_finite_numbers_are_usage_errors(option, value):
    status, out, err, _ = check(CHEATS / "honest.py", "--backend", "numpy", option, value)
    assert status == 2 and option in err and ("positive, finite" in err or "not a number" in err), err


def test_cases_takes_one_file_and_never_swallows_targets(tmp_path):
    status, out, err, records = check("--cases", ROOT / "spec" / "cases" / "corr2d.json", CHEATS / "honest.py",
                                      "--backend", "numpy", summary=tmp_path)
    assert status == 0 and len(records) == 1, (out, err)


DROPPED_BIAS = (COURSE / "planted" / "dropped_bias.py")


def test_a_function_no_case_applies_to_is_not_checked_never_a_pass(tmp_path):
    """--cases corr2d.json leaves the planted Conv2D (its bias dropped) without a case."""
    status, out, err, records = check(DROPPED_BIAS, "--backend", "numpy", "--cases",
                                      ROOT / "spec" / "cases" / "corr2d.json", summary=tmp_path)
    rec = records[str(DROPPED_BIAS)]
    assert rec["not_checked"] == ["Conv2D"] and "Conv2D not checked" in out, out
    assert subject(rec, "corr2d")["passed"] == subject(rec, "corr2d")["applicable"] > 0


def test_a_required_name_that_is_missing_fails_and_the_rest_is_still_judged(tmp_path):
    target = tmp_path / "only_corr2d.py"
    shutil.copy(CHEATS / "honest.py", target)
    status, out, err, records = check(target, "--backend", "numpy", "--require", "corr2d,Conv2D,learn",
                                      summary=tmp_path / "s")
    rec = records[str(target)]
    assert status == 1 and rec["status"] == "FAIL"
    assert any("no Conv2D, learn in the target (--require)" in p for p in rec["problems"]), rec["problems"]
    assert subject(rec, "corr2d")["passed"] == subject(rec, "corr2d")["applicable"] > 0


def test_nothing_checked_is_a_failure(tmp_path):
    status, out, err, records = check(CHEATS / "honest.py", "--backend", "numpy", "--cases",
                                      ROOT / "spec" / "cases" / "layer.json", summary=tmp_path)
    rec = next(iter(records.values()))
    assert status == 1 and rec["nothing_checked"] and "nothing checked" in out, out


def test_the_wrong_environment_is_named_as_such(tmp_path):
    """NumPy's environment has no JAX: check names the missing framework and where to run it."""
    status, out, err, records = check(CHEATS / "honest.py", "--backend", "jax", summary=tmp_path)
    rec = next(iter(records.values()))
    assert status == 2 and rec["status"] == "ERROR", (out, err)
    assert "is not importable in this environment" in rec["error"] and "--backend jax" in rec["error"], rec["error"]
    assert "a bug in check" not in out


def test_a_link_beside_the_target_brings_no_file_of_the_machine_into_the_sandbox(tmp_path):
    """The checking process reads what it copies in: a link among a student's files must not
    make it copy a file the student could not read (here, one outside the submission)."""
    secret = tmp_path / "teachers" / "answers.txt"
    secret.parent.mkdir()
    secret.write_text("ANSWER-KEY")
    student = tmp_path / "student"
    student.mkdir()
    (student / "answers.txt").symlink_to(secret)
    target = student / "probe.py"
    target.write_text("import os\nprint('beside', sorted(os.listdir('.')), open('answers.txt').read() "
                      "if os.path.exists('answers.txt') else 'no answers')\n\n"
                      "def corr2d(X, K):\n    return X[:1, :1] * 0\n")
    status, out, err, records = check(target, "--backend", "numpy", summary=tmp_path / "s")
    tail = records[str(target)]["output_tail"]
    assert "beside ['probe.py'] no answers" in tail and "ANSWER-KEY" not in tail, tail
