#!/usr/bin/env python3
"""Run a command inside giftsim's own virtual environment, creating it first if needed.

Usage::

    python3 run.py giftsim batch scenarios/launch_policies.toml
    python3 run.py pytest

Works with any Python 3.8+ as the launcher: it looks for a Python >= 3.12 (this one,
``python3.13``/``python3.12`` on PATH, then pyenv's installed versions, or the
interpreter named by ``GIFTSIM_PYTHON``), creates ``.venv`` with it, installs the
project with its test extras (again only when ``pyproject.toml`` changes), and runs the
command from ``.venv/bin``.
"""
import glob
import hashlib
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
MIN = (3, 12)


def _version(exe):
    try:
        out = subprocess.run(
            [exe, "-c", "import sys, venv; print('%d %d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    try:
        major, minor = (int(x) for x in out.stdout.split())
    except ValueError:
        return None
    return major, minor


def find_python():
    """Return the path of a Python >= 3.12, or exit with a message saying how to get one."""
    named = os.environ.get("GIFTSIM_PYTHON")
    if named:
        if (_version(named) or (0, 0)) >= MIN:
            return named
        sys.exit("run.py: GIFTSIM_PYTHON=%s is not a working Python >= 3.12" % named)
    candidates = []
    if sys.version_info[:2] >= MIN:
        candidates.append(sys.executable)
    candidates += ["python3.13", "python3.12", "python3.14"]
    roots = [os.environ.get("PYENV_ROOT", ""), os.path.expanduser("~/.pyenv")]
    for root in roots:
        if root:
            pattern = os.path.join(root, "versions", "3.1[2-9]*", "bin", "python3")
            candidates += sorted(glob.glob(pattern), reverse=True)
    candidates += sorted(glob.glob("/usr/bin/python3.1[2-9]"), reverse=True)
    candidates += sorted(glob.glob("/usr/local/bin/python3.1[2-9]"), reverse=True)
    for exe in candidates:
        if (_version(exe) or (0, 0)) >= MIN:
            return exe
    sys.exit(
        "run.py: no Python >= 3.12 found (tried this interpreter, python3.12/3.13 on PATH "
        "and pyenv's versions). Install one, or set GIFTSIM_PYTHON to its path."
    )


def ensure_venv():
    """Create .venv and install the project into it; return the venv's bin folder."""
    bindir = os.path.join(VENV, "bin")
    vpython = os.path.join(bindir, "python")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        stamp_want = hashlib.sha256(fh.read()).hexdigest()
    stamp_file = os.path.join(VENV, ".giftsim-installed")
    if os.path.exists(vpython) and (_version(vpython) or (0, 0)) >= MIN:
        if os.path.exists(stamp_file) and open(stamp_file).read().strip() == stamp_want:
            return bindir
    else:
        exe = find_python()
        print("run.py: creating .venv with %s" % exe, file=sys.stderr)
        subprocess.check_call([exe, "-m", "venv", "--clear", VENV])
    print("run.py: installing giftsim and its test tools into .venv", file=sys.stderr)
    subprocess.check_call([vpython, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    subprocess.check_call(
        [vpython, "-m", "pip", "install", "--quiet", "-e", ROOT + "[test]"]
    )
    with open(stamp_file, "w") as fh:
        fh.write(stamp_want + "\n")
    return bindir


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    bindir = ensure_venv()
    cmd = argv[0]
    exe = os.path.join(bindir, cmd)
    env = dict(os.environ)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = VENV
    env.pop("PYTHONHOME", None)
    target = exe if os.path.exists(exe) else cmd
    try:
        os.execvpe(target, [target] + argv[1:], env)
    except OSError as err:
        sys.exit("run.py: cannot run %r: %s" % (cmd, err))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
